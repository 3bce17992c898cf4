# kbench peak: the roofline formula, the JSON file, the kernels, and one quick
# real measurement checked for sanity only.  Included from tests/unit/CMakeLists.txt.
add_executable(test_peak ${CMAKE_CURRENT_LIST_DIR}/test_peak.c)
target_link_libraries(test_peak PRIVATE kbench_core)
add_test(NAME unit.peak COMMAND test_peak)
# It measures the machine: alone, so that a test running beside it cannot
# halve its figures (the sanity bounds leave a 4x margin on top).
set_tests_properties(unit.peak PROPERTIES RUN_SERIAL TRUE)
