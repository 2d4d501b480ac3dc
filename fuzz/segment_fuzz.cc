// Segment files as found on disk, damaged in any way: opening, checking and
// reading every row group answers or reports the damage, never crashes.
#include <cstdint>
#include <fstream>

#include "scratch_path.h"
#include "store/segment/segment_reader.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fuzz::ScratchPath scratch("segment_fuzz", ".pts");
  const std::string& path = scratch.str();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto reader = store::SegmentReader::Open(path);
  if (!reader.ok()) return 0;
  (void)(*reader)->Check();
  (void)(*reader)->ReadAttributeIndex();
  (void)(*reader)->ValueGroups("user.id", "user-1", "");
  (void)(*reader)->ValueGroups("user.id", "user-1", "gateway");
  for (size_t i = 0; i < (*reader)->footer().row_groups.size(); ++i) {
    auto table = (*reader)->ReadRowGroup(i);
    if (!table.ok()) continue;
    std::vector<uint32_t> rows(table->rows());
    for (uint32_t r = 0; r < rows.size(); ++r) rows[r] = r;
    Traces out;
    (void)table->Materialize(rows, &out);
    (void)(*reader)->ReadTraceIds(i);
    // Lookups of a string (value tables, dictionaries) and reads that drop
    // rows by an attribute.
    (void)(*reader)->MayHaveStringValue(i, "user.id", "user-1");
    store::RowPredicate keep;
    for (uint32_t key = 0; key < (*reader)->dicts().keys.size() && key < 4; ++key) {
      keep.attributes.push_back({key, "user-1"});
    }
    (void)(*reader)->ReadRowGroup(i, {}, store::kAllColumns, {}, &keep);
    // The traces holding a value the group has, read whole (a search's
    // read kept for its fetch), and a search's read of that key alone,
    // stepping over the rows it drops.
    store::RowPredicate holding;
    store::KeyMask only_key((*reader)->dicts().keys.size(), false);
    for (uint32_t c = 0; c < table->attr_key.size(); ++c) {
      if (table->attr_type[c] != uint8_t(store::CellType::kString)) continue;
      holding.attributes.push_back(
          {table->attr_key[c], table->strings.Get(uint32_t(table->attr_value[c]))});
      if (table->attr_key[c] < only_key.size()) only_key[table->attr_key[c]] = true;
      break;
    }
    if (auto whole = (*reader)->ReadTracesHolding(i, holding); whole.ok() && *whole) {
      std::vector<uint32_t> all((*whole)->rows());
      for (uint32_t r = 0; r < all.size(); ++r) all[r] = r;
      Traces got;
      (void)(*whole)->Materialize(all, &got);
    }
    (void)(*reader)->ReadRowGroup(i, {}, store::kSearchColumns | store::kAttributeColumns, only_key,
                                  &holding);
    // A lookup of the group's last trace: every row before it stepped over.
    if (auto ids = (*reader)->ReadTraceIds(i); ids.ok() && !ids->empty()) {
      (void)(*reader)->ReadRowGroup(i, std::span<const TraceId>(&ids->back(), 1));
    }
  }
  return 0;
}
