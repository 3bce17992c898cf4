# kbench compare: the statistics against scipy's values, and result-file
# reading and verdicts on the hand-made files of tests/data/results.
# Included from tests/unit/CMakeLists.txt.
add_executable(test_stats ${CMAKE_CURRENT_LIST_DIR}/test_stats.c)
target_link_libraries(test_stats PRIVATE kbench_core)
add_test(NAME unit.stats COMMAND test_stats)

add_executable(test_compare ${CMAKE_CURRENT_LIST_DIR}/test_compare.c)
target_link_libraries(test_compare PRIVATE kbench_core)
add_test(NAME unit.compare COMMAND test_compare ${PROJECT_SOURCE_DIR}/tests/data/results)
