# Warning flags for hito's own code. Generated and third-party code does not use them.
set(HITO_WARNING_FLAGS
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wimplicit-fallthrough -Wnon-virtual-dtor -Wold-style-cast)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND HITO_WARNING_FLAGS -Wthread-safety)
endif()
if(HITO_WERROR)
  list(APPEND HITO_WARNING_FLAGS -Werror)
endif()

# hito_target_defaults(target): warnings, include root, C++20.
function(hito_target_defaults target)
  target_compile_options(${target} PRIVATE ${HITO_WARNING_FLAGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()
