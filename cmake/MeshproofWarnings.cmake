# meshproof_set_warnings(target): the warning set every meshproof target builds with.
# PRIVATE, so consumers of our headers are not forced onto our flags.
function(meshproof_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wimplicit-fallthrough)
  if(MESHPROOF_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(MESHPROOF_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# libFuzzer's coverage instrumentation for every object, so the fuzzers see inside the
# libraries; the harnesses add -fsanitize=fuzzer at link time (fuzz/CMakeLists.txt).
if(MESHPROOF_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MESHPROOF_FUZZ needs clang (make fuzz sets CXX=clang++)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
