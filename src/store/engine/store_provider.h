// StoreProvider: what a component that owns a Store (the `polytrace_store`
// exporter) offers to components that read it (the `polytrace_query`
// extension), found through Host::GetExporter. Null until the owner has
// started.
#pragma once

namespace polytrace::store {

class Store;

class StoreProvider {
 public:
  virtual ~StoreProvider() = default;
  virtual Store* store() = 0;
};

}  // namespace polytrace::store
