// SpanMatcher: a SpanFilter compiled against one SpanTable's dictionaries,
// so matching a row compares integers; string forms and resource / event
// attributes are consulted only for tags.
#pragma once

#include <optional>
#include <vector>

#include "store/engine/span_filter.h"
#include "store/table/span_table.h"

namespace polytrace::store {

class SpanMatcher {
 public:
  SpanMatcher(const SpanFilter& filter, const SpanTable& table);
  // False when no row of the table can match (a name missing from its
  // dictionaries), so the caller skips it.
  bool Possible() const { return possible_; }
  bool Matches(uint32_t row) const;

 private:
  // A tag's value in the forms a cell of this table can take, so a cell is
  // compared as integers, not turned into a string (a string per cell was
  // most of a tag search's time).
  struct CompiledTag {
    std::optional<uint32_t> key;        // in dicts().keys
    std::optional<uint32_t> string_id;  // in the table's strings
    std::optional<int64_t> int_value;   // the value is an int's string form
    int8_t bool_value = -1;             // "true" 1, "false" 0, else -1
  };
  bool CellMatches(const CompiledTag& tag, size_t index, uint32_t cell) const;
  bool TagMatches(size_t tag, uint32_t row) const;
  bool ResourceHasTag(size_t tag, uint32_t origin) const;
  bool LinksToTrace(uint32_t row) const;

  const SpanFilter& filter_;
  const SpanTable& table_;
  bool possible_ = true;
  std::optional<uint32_t> service_;
  std::optional<uint32_t> name_;
  std::vector<CompiledTag> tags_;
  // Per tag, per origin: -1 unknown, 0 no, 1 the resource has the tag.
  mutable std::vector<std::vector<int8_t>> resource_tag_cache_;
};

}  // namespace polytrace::store
