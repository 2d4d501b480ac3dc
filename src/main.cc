#include "cli/cli.h"

int main(int argc, char** argv) { return polytrace::RunCli(argc, argv); }
