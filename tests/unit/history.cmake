# The run history (harness/history.c): synthetic runs into a temporary SQLite
# database and back, all-or-nothing records, concurrent writers, and the
# change-point rule.  Included from tests/unit/CMakeLists.txt.
add_executable(test_history ${CMAKE_CURRENT_LIST_DIR}/test_history.c)
target_link_libraries(test_history PRIVATE kbench_core)
add_test(NAME unit.history COMMAND test_history)
