# kbench_gbench: the C API of gbench.h over Google Benchmark (the project's
# only C++).  Included from harness/CMakeLists.txt; CXX is enabled by the
# top-level project() and Threads is found there.
find_package(benchmark REQUIRED)
find_package(Threads REQUIRED)

add_library(kbench_gbench STATIC ${CMAKE_CURRENT_LIST_DIR}/gbench_shim.cc)
target_include_directories(kbench_gbench PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# Private: C users need only gbench.h; a static library still passes both on
# to whatever links it (and CMake then links that with the C++ driver).
target_link_libraries(kbench_gbench PRIVATE benchmark::benchmark Threads::Threads)
set_target_properties(kbench_gbench PROPERTIES
  CXX_STANDARD 17
  CXX_STANDARD_REQUIRED ON
  CXX_EXTENSIONS OFF)
