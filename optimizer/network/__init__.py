"""Strategic layer: which depots to open and which depot serves each site."""

from aftersales.optimizer.network.current import current_network
from aftersales.optimizer.network.data import NetworkData, compile_network, network_costs
from aftersales.optimizer.network.result import NetworkResult

__all__ = ["NetworkData", "NetworkResult", "compile_network", "current_network", "network_costs"]
