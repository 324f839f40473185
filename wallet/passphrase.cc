#include "wallet/passphrase.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

namespace hito::wallet {
namespace {

constexpr size_t kPassphraseMaxBytes = 1024;

// Reads one line from the terminal `fd` with echo off; restores the terminal after.
Result<SecretString> PromptNoEcho(int fd, std::string_view prompt) {
  if (::write(fd, prompt.data(), prompt.size()) < 0) {
    return UnavailableError("cannot write the passphrase prompt to the terminal");
  }
  termios old_attr{};
  bool restore = ::tcgetattr(fd, &old_attr) == 0;
  if (restore) {
    termios no_echo = old_attr;
    no_echo.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    no_echo.c_lflag |= static_cast<tcflag_t>(ECHONL);
    ::tcsetattr(fd, TCSAFLUSH, &no_echo);
  }
  std::string line;
  line.reserve(kPassphraseMaxBytes + 1);
  bool too_long = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (line.size() < kPassphraseMaxBytes) {
      line.push_back(c);
    } else {
      too_long = true;
    }
  }
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &old_attr);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  SecretString out(std::move(line));
  if (too_long) return InvalidArgumentError("passphrase longer than 1024 bytes");
  return out;
}

}  // namespace

Result<SecretString> GetPassphrase(std::string_view key_name, PassphraseUse use) {
  if (const char* env = std::getenv("HITO_PASSPHRASE"); env != nullptr) {
    return SecretString(std::string(env));
  }
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    return FailedPreconditionError(
        "no passphrase: set HITO_PASSPHRASE or run hito from a terminal");
  }
  std::string prompt = use == PassphraseUse::kNewKey
                           ? "New passphrase for key '" + std::string(key_name) + "': "
                           : "Passphrase for key '" + std::string(key_name) + "': ";
  auto first = PromptNoEcho(fd, prompt);
  if (!first.ok() || use == PassphraseUse::kUnlock) {
    ::close(fd);
    return first;
  }
  auto second = PromptNoEcho(fd, "Repeat the passphrase: ");
  ::close(fd);
  if (!second.ok()) return second.status();
  if (first->str() != second->str()) return InvalidArgumentError("the passphrases differ");
  return first;
}

}  // namespace hito::wallet
