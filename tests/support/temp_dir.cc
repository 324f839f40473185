#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <string>
#include <system_error>

#include "base/assert.h"

namespace hito::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "hito-test-XXXXXX").string();
  HITO_ASSERT(mkdtemp(tmpl.data()) != nullptr);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace hito::testing
