# Finds Debian's OpenMP build of OpenBLAS (libopenblas-openmp-dev) and defines
# the imported target opgraph_openblas.
#
# Debian installs three OpenBLAS builds side by side (serial, pthread, OpenMP)
# and lets the alternatives system pick which one /usr/lib/<arch>/libopenblas.so.0
# means; installing python3-torch can switch it to the pthread build, whose own
# thread pool would run beside libgomp's and oversubscribe the cores. opgraph
# uses libgomp for its threads, so it links the OpenMP build by its path and
# records that directory as a run path, so the loader finds the same build
# at run time whatever the alternatives say.
set(_opgraph_openblas_dir /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp)
find_path(OPGRAPH_OPENBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
find_library(OPGRAPH_OPENBLAS_LIBRARY NAMES openblas PATHS ${_opgraph_openblas_dir}
  NO_DEFAULT_PATH)
if(NOT OPGRAPH_OPENBLAS_INCLUDE_DIR OR NOT OPGRAPH_OPENBLAS_LIBRARY)
  message(FATAL_ERROR "OpenBLAS (OpenMP build) not found under ${_opgraph_openblas_dir}; "
                      "run scripts/install_deps.sh (package libopenblas-openmp-dev)")
endif()
add_library(opgraph_openblas SHARED IMPORTED GLOBAL)
set_target_properties(opgraph_openblas PROPERTIES
  IMPORTED_LOCATION ${OPGRAPH_OPENBLAS_LIBRARY}
  IMPORTED_NO_SONAME FALSE
  INTERFACE_INCLUDE_DIRECTORIES ${OPGRAPH_OPENBLAS_INCLUDE_DIR})
set(OPGRAPH_OPENBLAS_RUNPATH ${_opgraph_openblas_dir})
unset(_opgraph_openblas_dir)
