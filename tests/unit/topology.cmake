# hwloc discovery and the topology fingerprint: saved XML files and copies
# edited one fact at a time.  Included from tests/unit/CMakeLists.txt.
add_executable(test_topology ${CMAKE_CURRENT_LIST_DIR}/test_topology.c)
target_link_libraries(test_topology PRIVATE kbench_core)
add_test(NAME unit.topology COMMAND test_topology ${PROJECT_SOURCE_DIR}/tests/data/topology)

# hwloc 2.9 leaks the half-built object when an XML file ends inside one
# (hwloc__xml_import_object; fixed upstream in open-mpi/hwloc#781).  The test
# loads such a file on purpose, so LeakSanitizer is told about that one leak.
if(KBENCH_SANITIZE)
  set(_kb_topo_supp ${CMAKE_CURRENT_BINARY_DIR}/topology.lsan.supp)
  file(WRITE ${_kb_topo_supp} "leak:hwloc_alloc_setup_object\n")
  set_tests_properties(unit.topology PROPERTIES ENVIRONMENT
    "LSAN_OPTIONS=suppressions=${_kb_topo_supp}:print_suppressions=0")
endif()
