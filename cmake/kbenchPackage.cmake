# kbenchPackage.cmake - install what an out-of-tree plugin needs to find
# kbench: a CMake package (find_package(kbench) -> kbench::abi,
# KBENCH_PLUGIN_DIR) and a pkg-config file (kbench.pc, variable pluginsdir).
# Included from the top-level CMakeLists.txt after kbench_abi is defined.
include(CMakePackageConfigHelpers)

set(KBENCH_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/kbench")

# kbench_abi is exported as kbench::abi: headers only, nothing to link.
set_target_properties(kbench_abi PROPERTIES EXPORT_NAME abi)
install(TARGETS kbench_abi EXPORT kbenchTargets)
install(EXPORT kbenchTargets NAMESPACE kbench:: DESTINATION "${KBENCH_CMAKE_DIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/kbenchConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/kbenchConfig.cmake"
  INSTALL_DESTINATION "${KBENCH_CMAKE_DIR}"
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR KBENCH_PLUGIN_SUBDIR)
# 0.x: a minor bump may change the ABI, so only the same minor matches.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/kbenchConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/kbenchConfig.cmake" "${PROJECT_BINARY_DIR}/kbenchConfigVersion.cmake"
  DESTINATION "${KBENCH_CMAKE_DIR}")

# The .pc file finds its prefix from its own folder (${pcfiledir}), because
# `cmake --install --prefix` may differ from CMAKE_INSTALL_PREFIX.
file(RELATIVE_PATH KBENCH_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" KBENCH_PC_TO_PREFIX "${KBENCH_PC_TO_PREFIX}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/kbench.pc.in" "${PROJECT_BINARY_DIR}/kbench.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/kbench.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
