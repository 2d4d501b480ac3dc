// JsonWriter: appends compact JSON to a string. Commas are inserted
// automatically; strings are escaped per RFC 8259 (control characters as
// \uXXXX). Used by the OTLP/JSON encoder and every JSON API response.
#pragma once

#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace polytrace {

class JsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  void Key(std::string_view key) {
    Separate();
    AppendString(key);
    out_ += ':';
    after_key_ = true;
  }
  void String(std::string_view s) {
    Separate();
    AppendString(s);
  }
  void Int(int64_t v) {
    Separate();
    AppendNumber(v);
  }
  void Uint(uint64_t v) {
    Separate();
    AppendNumber(v);
  }
  // `bytes` as a string of lowercase hex digits (IDs), written in place.
  void Hex(std::span<const uint8_t> bytes);
  // protojson writes 64-bit integers as strings.
  void Int64AsString(int64_t v) {
    Separate();
    out_ += '"';
    AppendNumber(v);
    out_ += '"';
  }
  void Uint64AsString(uint64_t v) {
    Separate();
    out_ += '"';
    AppendNumber(v);
    out_ += '"';
  }
  void Double(double v);  // NaN and infinities as strings, as protojson does
  void Bool(bool v) {
    Separate();
    out_ += v ? "true" : "false";
  }
  void Null() {
    Separate();
    out_ += "null";
  }
  // Inserts already-encoded JSON as one value.
  void Raw(std::string_view json) {
    Separate();
    out_ += json;
  }
  // Continue the value Raw began: JSON as it is, a string (escaped), an
  // integer. An object of a fixed shape is then a few appends (a Jaeger
  // tag's three keys, each separated and escaped, were a tenth of
  // answering a trace by ID).
  void RawMore(std::string_view json) { out_ += json; }
  void StringMore(std::string_view s) { AppendString(s); }
  void IntMore(int64_t v) { AppendNumber(v); }

  // Room for `bytes` more (an answer's size known roughly in advance: no
  // copy of what is written as the string grows).
  void Reserve(size_t bytes) { out_.reserve(out_.size() + bytes); }
  std::string& str() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Open(char c) {
    Separate();
    out_ += c;
    first_.push_back(true);
  }
  void Close(char c) {
    out_ += c;
    first_.pop_back();
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  void AppendString(std::string_view s);
  template <typename T>
  void AppendNumber(T v) {
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace polytrace
