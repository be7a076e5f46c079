# shellcheck shell=bash
# Configures the test build directory the same way for scripts/test and scripts/chaos.
#
#   bourse_configure_test_build BUILD_DIR BUILD_TYPE SANITIZE(ON|OFF|thread)
#
# SANITIZE: ON = AddressSanitizer + UndefinedBehaviorSanitizer, thread = ThreadSanitizer.
#
# RelWithDebInfo gets line tables only (-g1): backtraces and sanitizer reports keep
# file:line, and a cold build takes ~30% less CPU than with full debug info (-g), which
# matters on a 2-core machine. Use a Debug build to inspect locals in gdb.
bourse_configure_test_build() {
  local build_dir="$1" build_type="$2" sanitize="$3" asan=OFF tsan=OFF
  case "$sanitize" in
    ON) asan=ON ;;
    thread) tsan=ON ;;
    OFF) ;;
    *) echo "bourse_configure_test_build: SANITIZE must be ON, OFF or thread, not '$sanitize'" >&2; return 2 ;;
  esac
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
    -DBOURSE_BUILD_TESTS=ON -DBOURSE_BUILD_BENCHMARKS=ON -DBOURSE_SANITIZE="$asan" -DBOURSE_SANITIZE_THREAD="$tsan" >/dev/null
}
