// Versions the node reports (NodeService.GetVersion).
#ifndef HITO_NODE_VERSION_H_
#define HITO_NODE_VERSION_H_

#include <cstdint>
#include <string_view>

namespace hito::node {

inline constexpr std::string_view kNodeVersion = "0.1.0";
// The version of the canonical block and transaction encodings.
inline constexpr uint32_t kProtocolVersion = 1;

}  // namespace hito::node

#endif  // HITO_NODE_VERSION_H_
