// hito: the wallet and client CLI of the hito chain (see wallet/cli.h, docs/cli.md).
#include "base/hash.h"
#include "wallet/cli.h"

int main(int argc, char** argv) {
  hito::InitCrypto();
  return hito::wallet::RunCli(argc, argv);
}
