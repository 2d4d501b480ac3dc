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
  }
  return 0;
}
