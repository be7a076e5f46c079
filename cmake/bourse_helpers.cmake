# bourse_add_module(NAME [SOURCES ...] [DEPS ...] [PRIVATE_DEPS ...])
#   One static library per module: PUBLIC include/, PRIVATE src/. A module with no
#   sources yet becomes an INTERFACE library (its facade headers only).
function(bourse_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target bourse_${name})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                               PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC bourse_common ${ARG_DEPS}
                          PRIVATE bourse_warnings ${ARG_PRIVATE_DEPS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE bourse_common ${ARG_DEPS})
  endif()
  add_library(bourse::${name} ALIAS ${target})
endfunction()

# bourse_add_test(NAME SOURCES ... [LIBS ...] [LABELS ...] [SERIAL])
#   A Catch2 test executable registered with ctest (one ctest entry per executable,
#   so a test binary's own set-up runs once). LABELS "unit" or "integration".
#   SERIAL: the test runs alone (ctest RUN_SERIAL), because it stops shared services
#   such as the database that every other integration test needs.
function(bourse_add_test name)
  cmake_parse_arguments(ARG "SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE bourse_test_main bourse_warnings ${ARG_LIBS})
  add_test(NAME ${name} COMMAND ${name} --reporter console --durations no)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "BOURSE_SOURCE_DIR=${PROJECT_SOURCE_DIR};BOURSE_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(ARG_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

# bourse_add_benchmark(NAME SOURCES ... [LIBS ...])
function(bourse_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE bourse_warnings ${ARG_LIBS})
endfunction()
