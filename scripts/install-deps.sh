#!/usr/bin/env bash
# Installs the Debian 12 packages polytrace builds with (skips what is there).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache clang-format
  libgrpc++-dev protobuf-compiler-grpc libnghttp2-dev libprotobuf-dev protobuf-compiler
  libboost-dev libboost-system-dev libssl-dev
  libyaml-cpp-dev libsimdjson-dev libzstd-dev zlib1g-dev libisal-dev libabsl-dev
  libcli11-dev libfmt-dev libspdlog-dev libre2-dev libcrypt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  curl unzip
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
