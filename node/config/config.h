// Everything about a node's home folder, for the programs that open one (hitod, tests):
// config.toml (config_toml.h), genesis.json (genesis_json.h), the paths, key files and
// `hitod init` (home.h). Include the narrower header when only one is needed.
#ifndef HITO_NODE_CONFIG_CONFIG_H_
#define HITO_NODE_CONFIG_CONFIG_H_

#include "node/config/config_toml.h"
#include "node/config/genesis_json.h"
#include "node/config/home.h"

#endif  // HITO_NODE_CONFIG_CONFIG_H_
