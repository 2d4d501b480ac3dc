#include "processors/filter/ottl.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <variant>
#include <vector>

#include "core/regex.h"
#include "processors/filterspan/span_matcher.h"

namespace polytrace::ottl {

// --- values ---
struct Nil {
  friend bool operator==(const Nil&, const Nil&) { return true; }
};
using Value = std::variant<Nil, bool, int64_t, double, std::string>;

namespace {

Value FromAny(const AnyValue* v) {
  if (v == nullptr) return Nil{};
  switch (v->type) {
    case ValueType::kEmpty: return Nil{};
    case ValueType::kBool: return v->bool_value;
    case ValueType::kInt: return v->int_value;
    case ValueType::kDouble: return v->double_value;
    case ValueType::kString: return std::string(v->string_value);
    default: return ValueToString(*v);
  }
}

std::string ToText(const Value& v) {
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  if (std::holds_alternative<int64_t>(v)) return std::to_string(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return fmt::format("{}", std::get<double>(v));
  if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? "true" : "false";
  return "";
}

bool IsNumber(const Value& v) {
  return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v);
}
double AsDouble(const Value& v) {
  return std::holds_alternative<int64_t>(v) ? double(std::get<int64_t>(v)) : std::get<double>(v);
}

}  // namespace

// --- syntax tree ---
class Node {
 public:
  explicit Node(int depth = 1) : depth_(depth) {}
  virtual ~Node() = default;
  virtual Result<Value> Eval(const SpanContext& ctx) const = 0;
  // Levels of nodes below and including this one: Eval recurses this deep.
  int depth() const { return depth_; }

 private:
  int depth_;
};

namespace {

using NodePtr = std::shared_ptr<const Node>;

class Literal : public Node {
 public:
  explicit Literal(Value v) : v_(std::move(v)) {}
  Result<Value> Eval(const SpanContext&) const override { return v_; }

 private:
  Value v_;
};

class PathNode : public Node {
 public:
  PathNode(std::string path, std::string key) : path_(std::move(path)), key_(std::move(key)) {}
  Result<Value> Eval(const SpanContext& c) const override {
    const Span& s = c.span;
    const std::string& p = path_;
    if (p == "attributes") return FromAny(FindAttribute(s.attributes, key_));
    if (p == "resource.attributes")
      return FromAny(FindAttribute(c.resource.resource.attributes, key_));
    if (p == "instrumentation_scope.attributes") {
      return FromAny(FindAttribute(c.scope.scope.attributes, key_));
    }
    if (p == "name") return std::string(s.name);
    if (p == "kind") return static_cast<int64_t>(s.kind);
    if (p == "status.code") return static_cast<int64_t>(s.status.code);
    if (p == "status.message") return std::string(s.status.message);
    if (p == "trace_state") return std::string(s.trace_state);
    if (p == "start_time_unix_nano") return static_cast<int64_t>(s.start_time_unix_nano);
    if (p == "end_time_unix_nano") return static_cast<int64_t>(s.end_time_unix_nano);
    if (p == "trace_id.string") return s.trace_id.ToHex();
    if (p == "span_id.string") return s.span_id.ToHex();
    if (p == "parent_span_id.string") {
      return s.parent_span_id.IsZero() ? std::string() : s.parent_span_id.ToHex();
    }
    if (p == "dropped_attributes_count") return static_cast<int64_t>(s.dropped_attributes_count);
    if (p == "dropped_events_count") return static_cast<int64_t>(s.dropped_events_count);
    if (p == "dropped_links_count") return static_cast<int64_t>(s.dropped_links_count);
    if (p == "instrumentation_scope.name") return std::string(c.scope.scope.name);
    if (p == "instrumentation_scope.version") return std::string(c.scope.scope.version);
    return Status::Internal(fmt::format("unknown path \"{}\"", p));
  }
  // Whether `path` names something Eval knows (indexed: takes ["key"]).
  static bool Known(const std::string& path, bool indexed) {
    static const char* kIndexed[] = {"attributes", "resource.attributes",
                                     "instrumentation_scope.attributes"};
    static const char* kPlain[] = {"name",
                                   "kind",
                                   "status.code",
                                   "status.message",
                                   "trace_state",
                                   "start_time_unix_nano",
                                   "end_time_unix_nano",
                                   "trace_id.string",
                                   "span_id.string",
                                   "parent_span_id.string",
                                   "dropped_attributes_count",
                                   "dropped_events_count",
                                   "dropped_links_count",
                                   "instrumentation_scope.name",
                                   "instrumentation_scope.version"};
    if (indexed)
      return std::find(std::begin(kIndexed), std::end(kIndexed), path) != std::end(kIndexed);
    return std::find(std::begin(kPlain), std::end(kPlain), path) != std::end(kPlain);
  }

 private:
  std::string path_;
  std::string key_;
};

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kAdd, kSub, kAnd, kOr };

class Binary : public Node {
 public:
  Binary(Op op, NodePtr l, NodePtr r)
      : Node(1 + std::max(l->depth(), r->depth())), op_(op), l_(std::move(l)), r_(std::move(r)) {}
  Result<Value> Eval(const SpanContext& c) const override {
    Result<Value> a = l_->Eval(c);
    if (!a.ok()) return a.status();
    if (op_ == Op::kAnd || op_ == Op::kOr) {
      bool av = std::holds_alternative<bool>(*a) && std::get<bool>(*a);
      if (op_ == Op::kAnd && !av) return false;
      if (op_ == Op::kOr && av) return true;
      Result<Value> b = r_->Eval(c);
      if (!b.ok()) return b.status();
      return std::holds_alternative<bool>(*b) && std::get<bool>(*b);
    }
    Result<Value> b = r_->Eval(c);
    if (!b.ok()) return b.status();
    return Apply(*a, *b);
  }

 private:
  Result<Value> Apply(const Value& a, const Value& b) const {
    if (op_ == Op::kAdd || op_ == Op::kSub) {
      if (std::holds_alternative<int64_t>(a) && std::holds_alternative<int64_t>(b)) {
        int64_t x = std::get<int64_t>(a), y = std::get<int64_t>(b), out;
        bool overflow = op_ == Op::kAdd ? __builtin_add_overflow(x, y, &out)
                                        : __builtin_sub_overflow(x, y, &out);
        if (overflow) return Status::InvalidArgument("integer overflow in + or -");
        return out;
      }
      if (IsNumber(a) && IsNumber(b)) {
        return op_ == Op::kAdd ? AsDouble(a) + AsDouble(b) : AsDouble(a) - AsDouble(b);
      }
      return Status::InvalidArgument("+ and - need numbers");
    }
    int cmp;
    if (IsNumber(a) && IsNumber(b)) {
      double x = AsDouble(a), y = AsDouble(b);
      cmp = x < y ? -1 : x > y ? 1 : 0;
    } else if (a.index() == b.index()) {
      if (std::holds_alternative<std::string>(a)) {
        cmp = std::get<std::string>(a).compare(std::get<std::string>(b));
        cmp = cmp < 0 ? -1 : cmp > 0 ? 1 : 0;
      } else {
        cmp = a == b ? 0 : 2;  // nil/bool: equality only
      }
    } else {
      // Different types are never equal (OTTL: nil == "x" is false).
      if (op_ == Op::kEq) return false;
      if (op_ == Op::kNe) return true;
      return false;
    }
    switch (op_) {
      case Op::kEq: return cmp == 0;
      case Op::kNe: return cmp != 0;
      case Op::kLt: return cmp == -1;
      case Op::kLe: return cmp == -1 || cmp == 0;
      case Op::kGt: return cmp == 1;
      case Op::kGe: return cmp == 1 || cmp == 0;
      default: return false;
    }
  }
  Op op_;
  NodePtr l_, r_;
};

class Not : public Node {
 public:
  explicit Not(NodePtr e) : Node(1 + e->depth()), e_(std::move(e)) {}
  Result<Value> Eval(const SpanContext& c) const override {
    Result<Value> v = e_->Eval(c);
    if (!v.ok()) return v.status();
    return !(std::holds_alternative<bool>(*v) && std::get<bool>(*v));
  }

 private:
  NodePtr e_;
};

class IsMatch : public Node {
 public:
  IsMatch(NodePtr target, Regex re)
      : Node(1 + target->depth()), target_(std::move(target)), re_(std::move(re)) {}
  Result<Value> Eval(const SpanContext& c) const override {
    Result<Value> v = target_->Eval(c);
    if (!v.ok()) return v.status();
    if (std::holds_alternative<Nil>(*v)) return false;
    std::string s = ToText(*v);
    return re_.Search(s);
  }

 private:
  NodePtr target_;
  Regex re_;
};

// --- parser ---
constexpr int kMaxConditionDepth = 512;

class Parser {
 public:
  explicit Parser(const std::string& text) : t_(text) {}

  Result<NodePtr> Parse() {
    Result<NodePtr> e = Or();
    if (!e.ok()) return e;
    Skip();
    if (pos_ < t_.size()) return Error("unexpected text");
    return e;
  }

 private:
  Status Error(const std::string& what) const {
    return Status::InvalidArgument(fmt::format("column {}: {}", pos_ + 1, what));
  }
  // Parsing recurses once per parenthesis, `not` and IsMatch, and evaluation
  // once per level of the tree (a chain `a or b or c` is a level per
  // operator): both are bounded so no condition can exhaust the stack.
  Status TooDeep() const {
    return Error(fmt::format("condition nested deeper than {} levels", kMaxConditionDepth));
  }
  bool Enter() { return ++nesting_ <= kMaxConditionDepth; }
  void Leave() { --nesting_; }
  Result<NodePtr> Made(NodePtr node) const {
    if (node->depth() > kMaxConditionDepth) return TooDeep();
    return node;
  }
  void Skip() {
    while (pos_ < t_.size() && std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
  }
  bool Word(const char* w) {
    Skip();
    size_t n = strlen(w);
    if (t_.compare(pos_, n, w) != 0) return false;
    if (pos_ + n < t_.size() &&
        (std::isalnum(static_cast<unsigned char>(t_[pos_ + n])) || t_[pos_ + n] == '_'))
      return false;
    pos_ += n;
    return true;
  }
  bool Symbol(const char* s) {
    Skip();
    size_t n = strlen(s);
    if (t_.compare(pos_, n, s) != 0) return false;
    pos_ += n;
    return true;
  }

  Result<NodePtr> Or() {
    Result<NodePtr> l = And();
    while (l.ok() && Word("or")) {
      Result<NodePtr> r = And();
      if (!r.ok()) return r;
      l = Made(std::make_shared<Binary>(Op::kOr, *l, *r));
    }
    return l;
  }
  Result<NodePtr> And() {
    Result<NodePtr> l = NotExpr();
    while (l.ok() && Word("and")) {
      Result<NodePtr> r = NotExpr();
      if (!r.ok()) return r;
      l = Made(std::make_shared<Binary>(Op::kAnd, *l, *r));
    }
    return l;
  }
  Result<NodePtr> NotExpr() {
    if (Word("not")) {
      if (!Enter()) return TooDeep();
      Result<NodePtr> e = NotExpr();
      Leave();
      if (!e.ok()) return e;
      return Made(std::make_shared<Not>(*e));
    }
    return Comparison();
  }
  Result<NodePtr> Comparison() {
    Result<NodePtr> l = Sum();
    if (!l.ok()) return l;
    static const std::pair<const char*, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                      {"<=", Op::kLe}, {">=", Op::kGe},
                                                      {"<", Op::kLt},  {">", Op::kGt}};
    for (const auto& [sym, op] : kOps) {
      if (Symbol(sym)) {
        Result<NodePtr> r = Sum();
        if (!r.ok()) return r;
        return Made(std::make_shared<Binary>(op, *l, *r));
      }
    }
    return l;
  }
  Result<NodePtr> Sum() {
    Result<NodePtr> l = Term();
    while (l.ok()) {
      Op op;
      if (Symbol("+"))
        op = Op::kAdd;
      else if (Symbol("-"))
        op = Op::kSub;
      else
        break;
      Result<NodePtr> r = Term();
      if (!r.ok()) return r;
      l = Made(std::make_shared<Binary>(op, *l, *r));
    }
    return l;
  }
  Result<std::string> StringLiteral() {
    Skip();
    if (pos_ >= t_.size() || t_[pos_] != '"') return Error("expected a string");
    std::string out;
    for (++pos_; pos_ < t_.size() && t_[pos_] != '"'; ++pos_) {
      if (t_[pos_] == '\\' && pos_ + 1 < t_.size()) ++pos_;
      out += t_[pos_];
    }
    if (pos_ >= t_.size()) return Error("unterminated string");
    ++pos_;
    return out;
  }
  Result<NodePtr> Term();

  const std::string& t_;
  size_t pos_ = 0;
  int nesting_ = 0;
};

Result<NodePtr> Parser::Term() {
  Skip();
  if (pos_ >= t_.size()) return Error("expected a value");
  char c = t_[pos_];
  if (c == '(') {
    ++pos_;
    if (!Enter()) return TooDeep();
    Result<NodePtr> e = Or();
    Leave();
    if (!e.ok()) return e;
    if (!Symbol(")")) return Error("expected \")\"");
    return e;
  }
  if (c == '"') {
    Result<std::string> s = StringLiteral();
    if (!s.ok()) return s.status();
    return NodePtr(std::make_shared<Literal>(Value(*s)));
  }
  if (std::isdigit(static_cast<unsigned char>(c)) ||
      (c == '-' && pos_ + 1 < t_.size() &&
       std::isdigit(static_cast<unsigned char>(t_[pos_ + 1])))) {
    size_t start = pos_++;
    while (pos_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[pos_])) ||
                                t_[pos_] == '.' || t_[pos_] == 'e'))
      ++pos_;
    std::string num = t_.substr(start, pos_ - start);
    int64_t i;
    auto r = std::from_chars(num.data(), num.data() + num.size(), i);
    if (r.ec == std::errc() && r.ptr == num.data() + num.size())
      return NodePtr(std::make_shared<Literal>(Value(i)));
    double d;
    auto rd = std::from_chars(num.data(), num.data() + num.size(), d);
    if (rd.ec != std::errc() || rd.ptr != num.data() + num.size())
      return Error("bad number \"" + num + "\"");
    return NodePtr(std::make_shared<Literal>(Value(d)));
  }
  if (!std::isalpha(static_cast<unsigned char>(c)) && c != '_')
    return Error("unexpected character");
  size_t start = pos_;
  while (pos_ < t_.size() &&
         (std::isalnum(static_cast<unsigned char>(t_[pos_])) || t_[pos_] == '_' || t_[pos_] == '.'))
    ++pos_;
  std::string ident = t_.substr(start, pos_ - start);
  if (ident == "true" || ident == "false")
    return NodePtr(std::make_shared<Literal>(Value(ident == "true")));
  if (ident == "nil") return NodePtr(std::make_shared<Literal>(Value(Nil{})));
  for (int k = 0; k <= 5; ++k) {
    if (SpanKindName(static_cast<SpanKind>(k)) == ident)
      return NodePtr(std::make_shared<Literal>(Value(int64_t(k))));
  }
  static const char* kCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};
  for (int k = 0; k < 3; ++k) {
    if (ident == kCodes[k]) return NodePtr(std::make_shared<Literal>(Value(int64_t(k))));
  }
  if (ident == "IsMatch") {
    size_t at = pos_;
    if (!Symbol("(")) return Error("expected \"(\" after IsMatch");
    if (!Enter()) return TooDeep();
    Result<NodePtr> target = Sum();
    Leave();
    if (!target.ok()) return target;
    if (!Symbol(",")) return Error("IsMatch takes (value, \"regex\")");
    Result<std::string> pattern = StringLiteral();
    if (!pattern.ok()) return pattern.status();
    if (!Symbol(")")) return Error("expected \")\"");
    Result<Regex> re = Regex::Compile(*pattern);
    if (!re.ok()) {
      pos_ = at;
      return Error(re.status().message());
    }
    return Made(std::make_shared<IsMatch>(*target, *re));
  }
  if (pos_ < t_.size() && t_[pos_] == '(')
    return Error(fmt::format("unsupported function \"{}\"", ident));
  std::string key;
  bool indexed = false;
  if (Symbol("[")) {
    Result<std::string> k = StringLiteral();
    if (!k.ok()) return k.status();
    if (!Symbol("]")) return Error("expected \"]\"");
    key = *k;
    indexed = true;
  }
  if (!PathNode::Known(ident, indexed)) {
    pos_ = start;
    return Error(fmt::format("unknown path \"{}{}\"", ident, indexed ? "[...]" : ""));
  }
  return NodePtr(std::make_shared<PathNode>(ident, key));
}

}  // namespace

Result<Condition> Condition::Parse(const std::string& text) {
  Parser p(text);
  Result<NodePtr> root = p.Parse();
  if (!root.ok()) return root.status();
  Condition c;
  c.root_ = *root;
  c.text_ = text;
  return c;
}

Result<bool> Condition::Evaluate(const SpanContext& ctx) const {
  Result<Value> v = root_->Eval(ctx);
  if (!v.ok()) return v.status();
  if (!std::holds_alternative<bool>(*v)) {
    return Status::InvalidArgument(fmt::format("condition \"{}\" is not boolean", text_));
  }
  return std::get<bool>(*v);
}

}  // namespace polytrace::ottl
