# hito_add_test(NAME name SOURCES a.cc b.cc LIBS lib... LABELS unit [TIMEOUT s])
# Builds one GoogleTest binary and registers it with ctest under the given labels.
function(hito_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  hito_target_defaults(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_compile_definitions(${T_NAME} PRIVATE
    HITO_VECTORS_DIR="${PROJECT_SOURCE_DIR}/tests/vectors")
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
endfunction()

# hito_add_fuzz(NAME name SOURCES a.cc LIBS lib... [RUNS n])
# A libFuzzer target plus a short smoke run over its corpus in the suite. Nothing when
# HITO_FUZZ is OFF (the release preset); with it ON the top level requires clang.
function(hito_add_fuzz)
  cmake_parse_arguments(F "" "NAME;RUNS" "SOURCES;LIBS" ${ARGN})
  if(NOT HITO_FUZZ)  # an explicit option (release preset), not a missing dependency
    return()
  endif()
  if(NOT F_RUNS)
    set(F_RUNS 20000)
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  hito_target_defaults(${F_NAME})
  target_compile_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${F_NAME})
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}_corpus)
  add_test(NAME ${F_NAME}_smoke
           COMMAND ${CMAKE_COMMAND} -E env
                   sh -c "mkdir -p '${work}' && exec $<TARGET_FILE:${F_NAME}> -runs=${F_RUNS} -seed=1 -max_len=65536 '${work}' '${corpus}'")
  set_tests_properties(${F_NAME}_smoke PROPERTIES LABELS "fuzz" TIMEOUT 600)
endfunction()

# hito_types_sources(OUT): the absolute paths of hito_types' sources, for fuzz targets
# that compile the consensus/types decoders in (instrumented) instead of linking them.
function(hito_types_sources out)
  get_target_property(srcs hito_types SOURCES)
  get_target_property(dir hito_types SOURCE_DIR)
  list(TRANSFORM srcs PREPEND "${dir}/")
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# hito_require_valgrind(): sets HITO_VALGRIND, or stops the configure step. The
# constant-time checks run under valgrind memcheck and include valgrind/memcheck.h;
# scripts/setup.sh installs both, so their absence is a broken setup, not an option.
function(hito_require_valgrind)
  find_program(HITO_VALGRIND valgrind)
  include(CheckIncludeFileCXX)
  check_include_file_cxx(valgrind/memcheck.h HITO_HAVE_MEMCHECK_H)
  if(NOT HITO_VALGRIND OR NOT HITO_HAVE_MEMCHECK_H)
    message(FATAL_ERROR "valgrind or valgrind/memcheck.h not found: run scripts/setup.sh")
  endif()
endfunction()
