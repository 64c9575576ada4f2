# CMake package of deploygov's C ABI, installed by ffi/install.sh into PREFIX/lib/cmake/deploygov.
#
#   find_package(deploygov 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE deploygov::deploygov)         # libdeploygov.so
#   target_link_libraries(app PRIVATE deploygov::deploygov_static)  # libdeploygov.a
#
# Relocatable: paths are computed from this file's location.
include(CMakeFindDependencyMacro)
find_dependency(Threads)

get_filename_component(_deploygov_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET deploygov::deploygov)
  add_library(deploygov::deploygov SHARED IMPORTED)
  set_target_properties(deploygov::deploygov PROPERTIES
    IMPORTED_LOCATION "${_deploygov_prefix}/lib/libdeploygov.so"
    IMPORTED_SONAME "libdeploygov.so"
    INTERFACE_INCLUDE_DIRECTORIES "${_deploygov_prefix}/include")
endif()

if(NOT TARGET deploygov::deploygov_static)
  add_library(deploygov::deploygov_static STATIC IMPORTED)
  set_target_properties(deploygov::deploygov_static PROPERTIES
    IMPORTED_LOCATION "${_deploygov_prefix}/lib/libdeploygov.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "${_deploygov_prefix}/include"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
endif()

unset(_deploygov_prefix)
