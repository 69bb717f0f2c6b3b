// control.h: a controller inside a replication (what Flagger is to a cluster).
//
// A Controller receives periodic ticks on the simulated clock and may, at those moments,
// change what the mesh does: rewrite a TrafficSplit's weights (only splits declared
// dynamic when the Simulator was created), switch a traffic source on or off (sources
// declared gated start off), and change a workload's behaviour (a new revision rolled
// out). It observes the responses of watched workloads at their server side, and the
// outcome of every request a traffic source started. All calls happen on the replication's
// own thread, in event order, so a controller needs no locking and stays deterministic.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "meshproof/simulator/random.h"

namespace meshproof::sim {

class ReplicationControl {
 public:
  virtual ~ReplicationControl() = default;
  virtual double now() const = 0;
  /// Weights per backend (TrafficSplit::backends order) of a dynamic split (model index).
  virtual void SetSplitWeights(std::size_t split, const std::vector<double>& weights) = 0;
  /// Starts or stops a gated traffic source (index into Scenario::sources).
  virtual void SetSourceActive(std::size_t source, bool active) = 0;
  /// Changes the behaviour of a workload's replicas from now on (node index).
  virtual void SetNodeBehaviour(std::size_t node, const Distribution& service_time,
                                double error_rate) = 0;
  /// From now on the node's replicas run as the identity given for it in
  /// ControlOptions::adoptable_identities (requests to it are admitted as to that identity).
  virtual void AdoptIdentity(std::size_t node) = 0;
  /// Asks for OnTick at time t (>= now).
  virtual void ScheduleTick(double t) = 0;
  /// Ends the replication now (the rollout reached a decision).
  virtual void Stop() = 0;
};

class Controller {
 public:
  virtual ~Controller() = default;
  /// At time 0, before any traffic.
  virtual void OnStart(ReplicationControl& control) = 0;
  virtual void OnTick(ReplicationControl& control) = 0;
  /// A watched workload answered (status: HTTP-like; 403 = denied by policy, latency in s).
  virtual void OnServerResponse(std::size_t node, double time, double latency, int status) = 0;
  /// A request started by traffic source `source` finished (after retries).
  virtual void OnSourceRequestDone(std::size_t source, double time, int status) = 0;
};

}  // namespace meshproof::sim
