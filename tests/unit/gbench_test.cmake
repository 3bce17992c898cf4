# The Google Benchmark shim: run names, repetitions and aggregates, seconds per
# iteration, rate counters, error runs, fixed iteration counts with warm-up,
# the machine context, and silence.  Included from tests/unit/CMakeLists.txt.
add_executable(test_gbench ${CMAKE_CURRENT_LIST_DIR}/test_gbench.c)
target_link_libraries(test_gbench PRIVATE kbench_gbench)
add_test(NAME unit.gbench COMMAND test_gbench)

# The same checks with the BENCHMARK_* environment variables libbenchmark
# reads at load time set to values that would list instead of run, write (or
# fail to write) a file, reorder runs, drop repetitions, or exit the process.
add_test(NAME unit.gbench.env COMMAND test_gbench)
set_tests_properties(unit.gbench.env PROPERTIES ENVIRONMENT
  "BENCHMARK_LIST_TESTS=true;BENCHMARK_OUT=/nonexistent/kbench/out.json;BENCHMARK_FILTER=no-such-benchmark;BENCHMARK_ENABLE_RANDOM_INTERLEAVING=true;BENCHMARK_REPORT_AGGREGATES_ONLY=true;BENCHMARK_MIN_WARMUP_TIME=0.01;BENCHMARK_FORMAT=bogus;BENCHMARK_TIME_UNIT=bogus;BENCHMARK_PERF_COUNTERS=CYCLES")
