// JsonWriter: appends compact JSON to a string. Commas are inserted
// automatically; strings are escaped per RFC 8259 (control characters as
// \uXXXX). Used by the OTLP/JSON encoder and every JSON API response.
#pragma once

#include <cstdint>
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
    out_ += std::to_string(v);
  }
  void Uint(uint64_t v) {
    Separate();
    out_ += std::to_string(v);
  }
  // protojson writes 64-bit integers as strings.
  void Int64AsString(int64_t v) {
    Separate();
    out_ += '"' + std::to_string(v) + '"';
  }
  void Uint64AsString(uint64_t v) {
    Separate();
    out_ += '"' + std::to_string(v) + '"';
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

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace polytrace
