# Third-party dependencies, all from Debian 12 packages (scripts/setup.sh installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_package(Threads REQUIRED)
find_package(GTest REQUIRED)
if(HITO_BENCH)
  find_package(benchmark REQUIRED)
endif()

# LevelDB ships a CMake config on Debian 12; fall back to the bare library.
find_package(leveldb CONFIG QUIET)
if(NOT TARGET leveldb::leveldb)
  find_library(LEVELDB_LIBRARY leveldb REQUIRED)
  add_library(leveldb::leveldb UNKNOWN IMPORTED)
  set_target_properties(leveldb::leveldb PROPERTIES IMPORTED_LOCATION ${LEVELDB_LIBRARY})
endif()

find_package(Protobuf REQUIRED)
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
find_library(GRPCPP_REFLECTION_LIBRARY grpc++_reflection REQUIRED)

find_package(CLI11 CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
pkg_check_modules(TOMLPLUSPLUS REQUIRED IMPORTED_TARGET tomlplusplus)
# Boost's header-only Asio and Beast (libboost-dev): the metrics endpoint's HTTP server.
find_package(Boost 1.74 CONFIG REQUIRED)

