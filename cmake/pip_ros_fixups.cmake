# Only for builds against the ROS 2 PyPI wheels (FACE_ANALYSIS_PIP_ROS=ON); a robot with ROS 2
# from apt never includes this file.
# 1. The wheels' exported message targets name include directories of the machine that built
#    the wheels (e.g. /opt/python/cp311-cp311/include/python3.11); CMake's generate step rejects
#    imported targets whose include directories do not exist.
# 2. The project's .venv lies inside the source tree, which CMake refuses in the exported include
#    directories of our own targets (numpy's headers); no package consumes the headers of our
#    generated Python extension, so those entries are dropped.
function(face_analysis_filter_includes target drop_regex)
  get_target_property(dirs "${target}" INTERFACE_INCLUDE_DIRECTORIES)
  if(NOT dirs)
    return()
  endif()
  set(kept "")
  foreach(dir IN LISTS dirs)
    if(dir MATCHES "^\\$<" OR (EXISTS "${dir}" AND NOT dir MATCHES "${drop_regex}"))
      list(APPEND kept "${dir}")
    endif()
  endforeach()
  set_property(TARGET "${target}" PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${kept}")
endfunction()

function(face_analysis_fix_pip_includes)
  get_property(imported DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY IMPORTED_TARGETS)
  foreach(target IN LISTS imported)
    face_analysis_filter_includes("${target}" "^$")
  endforeach()
  get_property(own DIRECTORY "${CMAKE_SOURCE_DIR}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS own)
    face_analysis_filter_includes("${target}" "^${CMAKE_SOURCE_DIR}/")
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL face_analysis_fix_pip_includes)
