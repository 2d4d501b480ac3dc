#include "processors/attraction/attraction.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <charconv>

namespace polytrace {

AnyValue ValueFromYaml(Arena& arena, const YAML::Node& node) {
  if (!node.IsScalar()) return AnyValue();
  const std::string& s = node.Scalar();
  if (node.Tag() != "!") {  // plain (unquoted) scalar: typed as YAML would
    int64_t i;
    auto r = std::from_chars(s.data(), s.data() + s.size(), i);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return AnyValue::Int(i);
    double d;
    auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
    if (rd.ec == std::errc() && rd.ptr == s.data() + s.size()) return AnyValue::Double(d);
    if (s == "true" || s == "True" || s == "TRUE") return AnyValue::Bool(true);
    if (s == "false" || s == "False" || s == "FALSE") return AnyValue::Bool(false);
  }
  return AnyValue::String(arena.Copy(s));
}

void UpsertAttribute(Arena& arena, Attributes& attributes, std::string_view key, AnyValue value) {
  for (KeyValue& kv : attributes) {
    if (kv.key == key) {
      kv.value = value;
      return;
    }
  }
  attributes.Append(arena, KeyValue{arena.Copy(key), value});
}

namespace {

Result<ActionType> ParseActionType(const std::string& name) {
  if (name == "insert") return ActionType::kInsert;
  if (name == "update") return ActionType::kUpdate;
  if (name == "upsert") return ActionType::kUpsert;
  if (name == "delete") return ActionType::kDelete;
  if (name == "hash") return ActionType::kHash;
  if (name == "extract") return ActionType::kExtract;
  if (name == "convert") return ActionType::kConvert;
  return Status::InvalidArgument(fmt::format(
      "unknown action \"{}\" (insert, update, upsert, delete, hash, extract, convert)", name));
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

// The bytes the Collector hashes: strings as they are, numbers big-endian.
std::string HashInput(const AnyValue& v) {
  auto big_endian = [](uint64_t x) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i, x >>= 8) out[i] = static_cast<char>(x & 0xff);
    return out;
  };
  switch (v.type) {
    case ValueType::kString:
    case ValueType::kBytes: return std::string(v.string_value);
    case ValueType::kBool: return std::string(1, v.bool_value ? '\1' : '\0');
    case ValueType::kInt: return big_endian(static_cast<uint64_t>(v.int_value));
    case ValueType::kDouble: {
      uint64_t bits;
      std::memcpy(&bits, &v.double_value, 8);
      return big_endian(bits);
    }
    default: return ValueToString(v);
  }
}

std::optional<AnyValue> Convert(Arena& arena, const AnyValue& v, const std::string& to) {
  std::string s = ValueToString(v);
  if (to == "string") return AnyValue::String(arena.Copy(s));
  if (to == "int") {
    if (v.type == ValueType::kDouble) return AnyValue::Int(static_cast<int64_t>(v.double_value));
    if (v.type == ValueType::kBool) return AnyValue::Int(v.bool_value ? 1 : 0);
    int64_t i;
    auto r = std::from_chars(s.data(), s.data() + s.size(), i);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return AnyValue::Int(i);
    return std::nullopt;
  }
  if (v.type == ValueType::kInt) return AnyValue::Double(static_cast<double>(v.int_value));
  if (v.type == ValueType::kBool) return AnyValue::Double(v.bool_value ? 1 : 0);
  double d;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return AnyValue::Double(d);
  return std::nullopt;
}

KeyValue* Find(Attributes& attributes, std::string_view key) {
  for (KeyValue& kv : attributes) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

Status ParseOne(ConfigReader& r, Arena& arena, AttributeAction* a) {
  std::string action, pattern;
  POLYTRACE_RETURN_IF_ERROR(r.Read("key", &a->key));
  POLYTRACE_RETURN_IF_ERROR(r.Read("action", &action));
  POLYTRACE_RETURN_IF_ERROR(r.Read("from_attribute", &a->from_attribute));
  POLYTRACE_RETURN_IF_ERROR(r.Read("pattern", &pattern));
  POLYTRACE_RETURN_IF_ERROR(r.Read("converted_type", &a->converted_type));
  if (r.Has("value")) a->value = ValueFromYaml(arena, r.Raw("value"));
  if (r.Has("from_context")) return r.KeyError("from_context", "from_context is not supported yet");
  POLYTRACE_RETURN_IF_ERROR(r.Finish());
  Result<ActionType> type = ParseActionType(action);
  if (!type.ok()) return r.KeyError("action", type.status().message());
  a->type = *type;
  if (!pattern.empty()) {
    Result<Regex> re = Regex::Compile(pattern);
    if (!re.ok()) return r.KeyError("pattern", re.status().message());
    a->pattern = *re;
  }
  bool needs_value = a->type == ActionType::kInsert || a->type == ActionType::kUpdate ||
                     a->type == ActionType::kUpsert;
  if (a->key.empty() &&
      !(a->pattern && (a->type == ActionType::kDelete || a->type == ActionType::kHash))) {
    return r.Error("\"key\" is required");
  }
  if (needs_value && !a->value && a->from_attribute.empty()) {
    return r.Error(fmt::format("action {} needs \"value\" or \"from_attribute\"", action));
  }
  if (needs_value && a->value && !a->from_attribute.empty()) {
    return r.Error("\"value\" and \"from_attribute\" are mutually exclusive");
  }
  if (a->type == ActionType::kExtract && !a->pattern) return r.Error("extract needs \"pattern\"");
  if (a->type == ActionType::kConvert && a->converted_type != "int" &&
      a->converted_type != "double" && a->converted_type != "string") {
    return r.KeyError("converted_type",
                      fmt::format("\"{}\" is not one of int, double, string", a->converted_type));
  }
  return Status::Ok();
}

}  // namespace

Result<AttributeActions> AttributeActions::Parse(std::vector<ConfigReader>& readers) {
  AttributeActions out;
  out.values_arena_ = std::make_shared<Arena>();
  for (ConfigReader& r : readers) {
    AttributeAction a;
    POLYTRACE_RETURN_IF_ERROR(ParseOne(r, *out.values_arena_, &a));
    out.actions_.push_back(std::move(a));
  }
  return out;
}

void AttributeActions::Apply(Arena& arena, Attributes& attributes) const {
  for (const AttributeAction& a : actions_) {
    KeyValue* existing = a.key.empty() ? nullptr : Find(attributes, a.key);
    std::optional<AnyValue> source = a.value;
    if (!a.from_attribute.empty()) {
      KeyValue* from = Find(attributes, a.from_attribute);
      source = from ? std::optional<AnyValue>(from->value) : std::nullopt;
    }
    switch (a.type) {
      case ActionType::kInsert:
        if (!existing && source) attributes.Append(arena, KeyValue{arena.Copy(a.key), *source});
        break;
      case ActionType::kUpdate:
        if (existing && source) existing->value = *source;
        break;
      case ActionType::kUpsert:
        if (source) UpsertAttribute(arena, attributes, a.key, *source);
        break;
      case ActionType::kDelete:
        attributes.RemoveIf([&](const KeyValue& kv) {
          return kv.key == a.key || (a.pattern && a.pattern->Search(kv.key));
        });
        break;
      case ActionType::kHash:
        for (KeyValue& kv : attributes) {
          bool hit = kv.key == a.key || (a.pattern && a.pattern->Search(kv.key));
          if (hit) kv.value = AnyValue::String(arena.Copy(Sha256Hex(HashInput(kv.value))));
        }
        break;
      case ActionType::kExtract: {
        if (!existing || existing->value.type != ValueType::kString) break;
        // Captures point into the subject, which stays in the arena.
        for (const auto& [name, text] : a.pattern->NamedCaptures(existing->value.string_value)) {
          UpsertAttribute(arena, attributes, arena.Copy(name), AnyValue::String(arena.Copy(text)));
        }
        break;
      }
      case ActionType::kConvert:
        if (existing) {
          std::optional<AnyValue> converted = Convert(arena, existing->value, a.converted_type);
          if (converted) existing->value = *converted;
        }
        break;
    }
  }
}

}  // namespace polytrace
