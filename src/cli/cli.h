// The polytrace command line: `polytrace [--config F]`, `polytrace validate`.
#pragma once

namespace polytrace {

int RunCli(int argc, char** argv);

}  // namespace polytrace
