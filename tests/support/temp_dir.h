// TempDir: a fresh directory under the system temp dir for one test, removed with
// everything in it by the destructor. Not thread-safe (one owner).
#ifndef HITO_TESTS_SUPPORT_TEMP_DIR_H_
#define HITO_TESTS_SUPPORT_TEMP_DIR_H_

#include <filesystem>

namespace hito::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hito::testing

#endif  // HITO_TESTS_SUPPORT_TEMP_DIR_H_
