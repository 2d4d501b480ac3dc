#include "cli/cli.h"

#include <CLI/CLI.hpp>

namespace polytrace {

int RunCli(int argc, char** argv) {
  CLI::App app{"polytrace: OpenTelemetry Collector and trace backend"};
  app.set_version_flag("--version", "polytrace 0.1.0");
  CLI11_PARSE(app, argc, argv);
  return 0;
}

}  // namespace polytrace
