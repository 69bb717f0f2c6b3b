// replication.cc: one replication of the discrete-event simulation over a compiled
// Simulator model: arrivals, routing through splits and pools, access decisions, queues,
// processor sharing, downstream calls, timeouts and retries, metrics per edge and window.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <sstream>

#include "event_queue.h"
#include "sim_model.h"

#include "meshproof/engine/numeric.h"
#include "meshproof/simulator/control.h"
#include "meshproof/simulator/histogram.h"
#include "meshproof/simulator/random.h"

namespace meshproof::sim {
namespace {

struct CallState {
  std::uint32_t cls = 0;
  std::uint32_t gen = 0;
  std::uint32_t parent = kNone;  // the attempt waiting for this call, or none (a source's request)
  std::uint32_t parent_gen = 0;
  std::uint32_t stream = 0;  // the caller's random stream (a source's or a workload's)
  std::uint32_t live_attempt = kNone;
  std::uint32_t attempts = 0;
  double start = 0;
  double deadline = kInf;
};

enum class Phase : std::uint8_t {
  kToServer,
  kQueued,
  kInService,
  kWaiting,
  kForwarded,
  kResponding
};

struct AttemptState {
  std::uint32_t call = 0, call_gen = 0, gen = 0;
  std::uint32_t replica = 0, server_edge = 0, split_edge = kNone;
  std::uint32_t pending = 0;
  std::uint16_t status = kOk;
  Phase phase = Phase::kToServer;
  bool allowed = true;
  bool in_system = false;
  bool child_failed = false;
  std::uint16_t child_status = kOk;
  double sent = 0, arrived = 0;
};

struct ReplicaState {
  std::uint32_t busy = 0;         // FIFO: requests in service (workers held)
  std::uint32_t in_system = 0;    // queued + in service (+ waiting on downstream calls)
  std::uint32_t outstanding = 0;  // for least-request balancing: sent, not yet answered
  Ring queue;
  // Processor sharing: virtual time V advances at each job's service rate; a job finishes
  // when V reaches its finish tag.
  std::vector<std::pair<double, std::uint32_t>> ps;  // min-heap of (finish tag, attempt)
  double ps_v = 0, ps_last = 0;
  std::uint32_t ps_version = 0;
};

struct NodeRun {
  double n = 0, busy = 0, last = 0, area = 0, busy_area = 0;
  std::uint64_t arrivals = 0, blocked = 0, completions = 0;
  double sojourn = 0;
  LatencyHistogram server;  // every caller's attempts at the workload (SLOs on a workload)
  std::uint64_t s = 0, f = 0, d = 0;
};

struct EdgeRun {
  LatencyHistogram run, win;
  std::uint64_t s = 0, f = 0, d = 0, ws = 0, wf = 0, wd = 0;
  std::size_t window = 0;
  std::vector<MetricValues> windows;
};

MetricValues Summarise(const LatencyHistogram& h, std::uint64_t s, std::uint64_t f, std::uint64_t d,
                       double span) {
  MetricValues v;
  v.success = static_cast<double>(s);
  v.failure = static_cast<double>(f);
  v.denied = static_cast<double>(d);
  v.rps = span > 0 ? static_cast<double>(s + f) / span : 0;
  v.mean = h.mean();
  v.p50 = h.Quantile(0.50);
  v.p90 = h.Quantile(0.90);
  v.p99 = h.Quantile(0.99);
  return v;
}

class Replication final : public ReplicationControl {
 public:
  Replication(const Simulator::Impl& m, std::uint64_t seed, double duration,
              ReplicationProgress* progress, Controller* controller, std::size_t memory_budget,
              const std::atomic<bool>* cancel)
      : m_(m),
        cancel_(cancel),
        controller_(controller),
        budget_(memory_budget),
        streams_(MakeStreams(m, seed)),
        end_(duration),
        warmup_(std::min(m.scenario.warmup, duration)),
        window_(m.scenario.window),
        progress_(progress) {
    replicas_.resize(m.replica_node.size());
    nodes_.resize(m.node_models.size());
    adopted_.assign(m.node_models.size(), 0);
    edges_.resize(m.edges.size());
    rr_.assign(m.pools.size(), 0);
    active_.resize(m.sources.size());
    source_gen_.assign(m.sources.size(), 0);
    for (const auto& nm : m.node_models) {
      node_service_.push_back(nm.service);
      node_error_.push_back(nm.error_rate);
    }
    class_cumulative_.resize(m.classes.size());
    mmpp_phase_.assign(m.sources.size(), 0);
    mmpp_end_.assign(m.sources.size(), -1.0);
    windows_ = static_cast<std::size_t>(std::ceil(duration / window_ - kTimeTolerance));
  }

  // --- ReplicationControl ---------------------------------------------------------------
  double now() const override { return now_; }
  void SetSplitWeights(std::size_t split, const std::vector<double>& weights) override {
    auto it = m_.classes_of_split.find(split);
    if (it == m_.classes_of_split.end()) return;
    for (std::uint32_t cls : it->second) {
      const auto& c = m_.classes[cls];
      std::vector<double>& cum = class_cumulative_[cls];
      cum.assign(c.targets.size(), 0.0);
      double total = 0;
      for (std::size_t t = 0; t < c.targets.size(); ++t) {
        const std::size_t b = c.target_backend[t];
        total += b < weights.size() ? std::max(0.0, weights[b]) : 0.0;
        cum[t] = total;
      }
      for (double& x : cum) x = total > 0 ? x / total : 0;
      if (total > 0) cum.back() = 1.0;
    }
  }
  void SetSourceActive(std::size_t source, bool active) override {
    if (source >= active_.size() || (active_[source] != 0) == active) return;
    active_[source] = active ? 1 : 0;
    ++source_gen_[source];
    if (active) ScheduleArrival(static_cast<std::uint32_t>(source), now_);
  }
  void SetNodeBehaviour(std::size_t node, const Distribution& service_time,
                        double error_rate) override {
    node_service_[node] = service_time;
    node_error_[node] = error_rate;
  }
  void AdoptIdentity(std::size_t node) override {
    if (node < adopted_.size()) adopted_[node] = 1;
  }
  void ScheduleTick(double t) override { Schedule(std::max(t, now_), kEvTick, 0, 0); }
  void Stop() override { stopped_ = true; }

  ReplicationResult Execute() {
    if (controller_ != nullptr) controller_->OnStart(*this);
    for (std::uint32_t s = 0; s < m_.sources.size(); ++s) {
      if (!m_.sources[s].gated) SetSourceActive(s, true);
    }
    std::uint64_t events = 0;
    while (!stopped_ && !heap_.empty() && heap_.front().time <= end_) {
      std::pop_heap(heap_.begin(), heap_.end(), Later());
      const Event e = heap_.back();
      heap_.pop_back();
      now_ = e.time;
      ++events;
      Dispatch(e);
      if ((events & 0xffff) == 0 && progress_ != nullptr) {
        progress_->fraction.store(now_ / end_, std::memory_order_relaxed);
        progress_->events.store(events, std::memory_order_relaxed);
      }
      if ((events & 0xfff) == 0) {
        if (OverBudget()) break;
        if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) {
          cancelled_ = true;
          break;
        }
      }
    }
    if (stopped_) end_ = now_;
    now_ = end_;
    ReplicationResult r;
    r.aborted = aborted_;
    r.cancelled = cancelled_;
    if (!aborted_.empty() || cancelled_) {
      stopped_ = true;  // no windows to close past the budget
      windows_ = 0;
    }
    r.events = events;
    r.requests = requests_;
    r.peak_in_flight = peak_in_flight_;
    r.peak_pending_events = peak_events_;
    const double span = end_ - warmup_;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      NodeChange(static_cast<std::uint32_t>(i), 0, 0);
      const NodeRun& n = nodes_[i];
      const auto& nm = m_.node_models[i];
      NodeValues v;
      v.arrivals = static_cast<double>(n.arrivals);
      v.blocked = static_cast<double>(n.blocked);
      v.completions = static_cast<double>(n.completions);
      v.throughput = span > 0 ? v.completions / span : 0;
      v.blocking = n.arrivals > 0 ? v.blocked / v.arrivals : 0;
      v.mean_in_system = span > 0 ? n.area / span : 0;
      v.mean_time_in_system = n.completions > 0 ? n.sojourn / v.completions : 0;
      const double servers = static_cast<double>(nm.replicas) * nm.concurrency;
      v.utilisation = span > 0 && servers > 0 ? n.busy_area / (span * servers) : 0;
      v.server = Summarise(n.server, n.s, n.f, n.d, span);
      r.nodes.push_back(v);
    }
    for (std::size_t i = 0; i < edges_.size(); ++i) {
      EdgeRun& e = edges_[i];
      CloseWindows(e, windows_);
      r.edges.push_back(Summarise(e.run, e.s, e.f, e.d, span));
      r.windows.push_back(std::move(e.windows));
    }
    if (progress_ != nullptr) {
      progress_->events.store(r.events, std::memory_order_relaxed);
      progress_->fraction.store(1.0, std::memory_order_relaxed);
    }
    return r;
  }

 private:
  // --- events ---------------------------------------------------------------------------
  void Schedule(double t, std::uint32_t kind, std::uint32_t id, std::uint32_t gen) {
    heap_.push_back(Event{t, seq_++, kind, id, gen, 0});
    std::push_heap(heap_.begin(), heap_.end(), Later());
    peak_events_ = std::max(peak_events_, heap_.size());
  }

  void Dispatch(const Event& e) {
    switch (e.kind) {
      case kEvArrival:
        if (e.gen == source_gen_[e.id] && active_[e.id] != 0) OnArrival(e.id);
        break;
      case kEvTick:
        if (controller_ != nullptr) controller_->OnTick(*this);
        break;
      case kEvAtServer:
        OnAtServer(e.id);
        break;
      case kEvServiceDone:
        AfterService(e.id);
        break;
      case kEvPsDone:
        OnPsDone(e.id, e.gen);
        break;
      case kEvResponse:
        OnResponse(e.id);
        break;
      case kEvPerTryTimeout:
        OnPerTryTimeout(e.id, e.gen);
        break;
      case kEvCallTimeout:
        OnCallTimeout(e.id, e.gen);
        break;
      case kEvRetry:
        if (calls_[e.id].gen == e.gen) SendAttempt(e.id);
        break;
      default:
        break;
    }
  }

  // Common random numbers: each traffic source and each workload draws from its own
  // stream, seeded from the replication's seed and its name, so that changing one
  // workload (its replicas, its service time) leaves every other stream's draws where they
  // were. Streams 0..S-1 are the sources, S.. the workloads (nodes).
  static std::vector<Rng> MakeStreams(const Simulator::Impl& m, std::uint64_t seed) {
    std::vector<Rng> out;
    out.reserve(m.sources.size() + m.nodes.size());
    for (const auto& s : m.sources) out.emplace_back(StreamSeed(seed, "source/" + s.name));
    for (const NodeInfo& n : m.nodes) {
      out.emplace_back(
          StreamSeed(seed, "workload/" + n.workload.namespace_ + "/" + n.workload.name));
    }
    return out;
  }
  static std::uint64_t StreamSeed(std::uint64_t seed, const std::string& name) {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a: stable across platforms
    for (const unsigned char ch : name) {
      h ^= ch;
      h *= 0x100000001b3ULL;
    }
    return SplitMix64(seed ^ SplitMix64(h));
  }
  Rng& SourceRng(std::uint32_t s) { return streams_[s]; }
  Rng& NodeRng(std::uint32_t node) { return streams_[m_.sources.size() + node]; }
  std::uint32_t NodeStream(std::uint32_t node) const {
    return static_cast<std::uint32_t>(m_.sources.size()) + node;
  }

  double Network(Rng& rng) {
    return m_.zero_network ? 0.0 : m_.scenario.network_latency.Sample(rng);
  }

  // --- traffic sources ------------------------------------------------------------------
  double RateAt(const Simulator::Impl::SourceModel& s, double t, double* next_change) const {
    double rate = 0;
    *next_change = kInf;
    for (std::size_t i = 0; i < s.schedule.size(); ++i) {
      if (s.schedule[i].at <= t) {
        rate = s.schedule[i].rate;
      } else {
        *next_change = s.schedule[i].at;
        break;
      }
    }
    return rate;
  }

  // A two-state Markov-modulated Poisson process: Poisson at the current state's rate,
  // restarted (memoryless) when the state changes after an exponential sojourn.
  void ScheduleMmppArrival(std::uint32_t s, double t) {
    const auto& src = m_.sources[s];
    Rng& rng = SourceRng(s);
    if (mmpp_end_[s] < 0) {  // the first state from the stationary distribution
      const double p0 = src.mmpp_durations[0] / (src.mmpp_durations[0] + src.mmpp_durations[1]);
      mmpp_phase_[s] = rng.Uniform01() < p0 ? 0 : 1;
      mmpp_end_[s] = rng.Exponential(src.mmpp_durations[mmpp_phase_[s]]);
    }
    while (t <= end_) {
      while (t >= mmpp_end_[s]) {
        mmpp_phase_[s] ^= 1;
        mmpp_end_[s] += rng.Exponential(src.mmpp_durations[mmpp_phase_[s]]);
      }
      const double rate = src.mmpp_rates[mmpp_phase_[s]];
      const double next = rate > 0 ? t + rng.Exponential(1.0 / rate) : kInf;
      if (next > mmpp_end_[s]) {
        t = mmpp_end_[s];
        continue;
      }
      if (next > end_) return;
      Schedule(next, kEvArrival, s, source_gen_[s]);
      return;
    }
  }

  void ScheduleArrival(std::uint32_t s, double from) {
    const auto& src = m_.sources[s];
    if (src.arrival == ArrivalProcess::kMmpp) {
      ScheduleMmppArrival(s, from);
      return;
    }
    double t = from;
    // Constant arrivals carry the unfinished part of an interval across a rate change (one
    // arrival per unit of integrated rate); Poisson restarts at the change (memoryless).
    double need = 1.0;
    for (;;) {
      double change = kInf;
      const double rate = RateAt(src, t, &change);
      if (rate <= 0) {
        if (change == kInf) return;
        t = change;
        continue;
      }
      double next;
      if (src.arrival == ArrivalProcess::kPoisson) {
        next = t + SourceRng(s).Exponential(1.0 / rate);
        if (next > change) {
          t = change;
          continue;
        }
      } else {
        const double available = (change - t) * rate;
        if (available < need) {
          need -= available;
          t = change;
          continue;
        }
        next = t + need / rate;
      }
      if (next > end_) return;
      Schedule(next, kEvArrival, s, source_gen_[s]);
      return;
    }
  }

  void OnArrival(std::uint32_t s) {
    const auto& src = m_.sources[s];
    std::uint32_t cls = src.classes[0];
    if (src.classes.size() > 1) {
      const double u = SourceRng(s).Uniform01();
      std::size_t i = 0;
      while (i + 1 < src.cumulative.size() && u > src.cumulative[i]) ++i;
      cls = src.classes[i];
    }
    ++requests_;
    StartCall(cls, kNone, 0, s);
    ScheduleArrival(s, now_);
  }

  // --- calls (logical requests with retries) --------------------------------------------
  std::uint32_t AllocCall() {
    const std::uint32_t id = calls_.Alloc();
    peak_in_flight_ = std::max(peak_in_flight_, calls_.live() + attempts_.live());
    return id;
  }
  std::uint32_t AllocAttempt() {
    const std::uint32_t id = attempts_.Alloc();
    peak_in_flight_ = std::max(peak_in_flight_, calls_.live() + attempts_.live());
    return id;
  }
  void FreeCall(std::uint32_t id) { calls_.Free(id); }
  void FreeAttempt(std::uint32_t id) { attempts_.Free(id); }

  void StartCall(std::uint32_t cls, std::uint32_t parent, std::uint32_t parent_gen,
                 std::uint32_t stream) {
    const std::uint32_t id = AllocCall();
    CallState& c = calls_[id];
    c.cls = cls;
    c.parent = parent;
    c.parent_gen = parent_gen;
    c.stream = stream;
    c.live_attempt = kNone;
    c.attempts = 0;
    c.start = now_;
    c.deadline = kInf;
    const auto& policy = m_.classes[cls].policy;
    if (policy.timeout > 0) {
      c.deadline = now_ + policy.timeout;
      Schedule(c.deadline, kEvCallTimeout, id, c.gen);
    }
    SendAttempt(id);
  }

  std::uint32_t PickMember(std::uint32_t pool_id, Rng& rng) {
    const auto& pool = m_.pools[pool_id];
    const auto n = static_cast<std::uint32_t>(pool.members.size());
    // The draws are taken even from a pool of one, so that the caller's stream advances the
    // same way whatever the replicas (common random numbers across a sweep).
    switch (pool.balancing) {
      case Balancing::kRoundRobin: {
        if (n == 1) return 0;
        const std::uint32_t i = rr_[pool_id];
        rr_[pool_id] = i + 1 == n ? 0 : i + 1;
        return i;
      }
      case Balancing::kRandom:
        return rng.Below(n);
      case Balancing::kLeastRequest: {
        if (n == 1) {
          rng.Bits();
          rng.Bits();
          return 0;
        }
        // Power of two choices (Envoy LEAST_REQUEST): two distinct random members, the one
        // with fewer outstanding requests; ties go to the first draw.
        const std::uint32_t a = rng.Below(n);
        std::uint32_t b = rng.Below(n - 1);
        if (b >= a) ++b;
        return replicas_[pool.members[b]].outstanding < replicas_[pool.members[a]].outstanding ? b
                                                                                               : a;
      }
    }
    return 0;
  }

  void SendAttempt(std::uint32_t cid) {
    CallState& c = calls_[cid];
    ++c.attempts;
    const auto& cls = m_.classes[c.cls];
    Rng& rng = streams_[c.stream];
    std::size_t ti = 0;
    if (cls.targets.size() > 1) {
      const std::vector<double>& cum =
          class_cumulative_[c.cls].empty() ? cls.cumulative : class_cumulative_[c.cls];
      const double u = rng.Uniform01();
      while (ti + 1 < cum.size() && u > cum[ti]) ++ti;
    }
    if (cls.targets.empty() || m_.pools[cls.targets[ti].pool].members.empty()) {
      HandleAttemptResult(cid, kUnavailable);  // no endpoint: 503, as a proxy answers
      return;
    }
    const auto& target = cls.targets[ti];
    const std::uint32_t member = PickMember(target.pool, rng);
    const std::uint32_t aid = AllocAttempt();
    AttemptState& a = attempts_[aid];
    a.call = cid;
    a.call_gen = c.gen;
    a.replica = m_.pools[target.pool].members[member];
    a.server_edge = target.server_edge[member];
    a.split_edge = target.split_edge;
    a.allowed = (!target.allowed_adopted.empty() && adopted_[m_.replica_node[a.replica]] != 0
                     ? target.allowed_adopted[member]
                     : target.allowed[member]) != 0;
    a.pending = 0;
    a.status = kOk;
    a.phase = Phase::kToServer;
    a.in_system = false;
    a.child_failed = false;
    a.child_status = kOk;
    a.sent = now_;
    calls_[cid].live_attempt = aid;
    ++replicas_[a.replica].outstanding;
    if (cls.policy.retry.per_try_timeout > 0) {
      Schedule(now_ + cls.policy.retry.per_try_timeout, kEvPerTryTimeout, aid, a.gen);
    }
    const double d = Network(rng);
    if (d == 0) {
      OnAtServer(aid);
    } else {
      Schedule(now_ + d, kEvAtServer, aid, attempts_[aid].gen);
    }
  }

  void HandleAttemptResult(std::uint32_t cid, std::uint16_t status) {
    CallState& c = calls_[cid];
    if (status < 400) {
      FinishCall(cid, status);
      return;
    }
    const RetryPolicy& p = m_.classes[c.cls].policy.retry;
    const bool gateway =
        status == kBadGateway || status == kUnavailable || status == kGatewayTimeout;
    const bool retryable =
        status != kDenied && ((p.on_5xx && status >= 500) || (p.on_gateway_error && gateway) ||
                              (p.on_connect_failure && status == kUnavailable));
    if (retryable && c.attempts <= static_cast<std::uint32_t>(p.retries) && now_ < c.deadline) {
      // Envoy: fully jittered exponential back-off, base * 2^(n-1), capped.
      const double cap = std::min(
          p.backoff_max, p.backoff_base * std::ldexp(1.0, static_cast<int>(c.attempts) - 1));
      Schedule(now_ + streams_[c.stream].Uniform01() * cap, kEvRetry, cid, c.gen);
      return;
    }
    FinishCall(cid, status);
  }

  void FinishCall(std::uint32_t cid, std::uint16_t status) {
    const CallState c = calls_[cid];
    const auto& cls = m_.classes[c.cls];
    Record(cls.client_edge, now_ - c.start, status);
    if (cls.source != kNone && controller_ != nullptr)
      controller_->OnSourceRequestDone(cls.source, now_, status);
    FreeCall(cid);
    if (c.parent != kNone) ChildDone(c.parent, c.parent_gen, status, cls.required);
  }

  void OnCallTimeout(std::uint32_t cid, std::uint32_t gen) {
    if (calls_[cid].gen != gen) return;
    calls_[cid].live_attempt = kNone;  // an attempt still out is orphaned; the server keeps working
    FinishCall(cid, kGatewayTimeout);
  }

  void OnPerTryTimeout(std::uint32_t aid, std::uint32_t gen) {
    AttemptState& a = attempts_[aid];
    if (a.gen != gen) return;
    CallState& c = calls_[a.call];
    if (c.gen != a.call_gen || c.live_attempt != aid) return;
    if (a.split_edge != kNone) Record(a.split_edge, now_ - a.sent, kGatewayTimeout);
    c.live_attempt = kNone;
    HandleAttemptResult(a.call, kGatewayTimeout);
  }

  // --- the server side ------------------------------------------------------------------
  void OnAtServer(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    a.arrived = now_;
    if (!a.allowed) {  // the server-side proxy answers 403 without bothering the app
      a.status = kDenied;
      ServerRecord(aid, 0, kDenied);
      Respond(aid);
      return;
    }
    const std::uint32_t node = m_.replica_node[a.replica];
    const auto& nm = m_.node_models[node];
    ReplicaState& r = replicas_[a.replica];
    if (now_ >= warmup_) ++nodes_[node].arrivals;
    if (nm.discipline == Discipline::kFifo) {
      if (r.busy < nm.concurrency) {
        ++r.busy;
        ++r.in_system;
        a.in_system = true;
        NodeChange(node, +1, +1);
        StartService(aid);
        return;
      }
      if (nm.queue_capacity < 0 || r.queue.size() < static_cast<std::size_t>(nm.queue_capacity)) {
        r.queue.push(aid);
        ++r.in_system;
        a.in_system = true;
        a.phase = Phase::kQueued;
        NodeChange(node, +1, 0);
        return;
      }
    } else {
      if (nm.queue_capacity < 0 ||
          r.ps.size() < nm.concurrency + static_cast<std::size_t>(nm.queue_capacity)) {
        ++r.in_system;
        a.in_system = true;
        a.phase = Phase::kInService;
        PsAdvance(r, nm);
        const double before = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
        r.ps.emplace_back(r.ps_v + node_service_[node].Sample(NodeRng(node)), aid);
        std::push_heap(r.ps.begin(), r.ps.end(), std::greater<>());
        const double after = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
        NodeChange(node, +1, after - before);
        PsReschedule(a.replica, nm);
        return;
      }
    }
    // Rejected: the queue is full (Envoy max_pending_requests overflow).
    if (now_ >= warmup_) ++nodes_[node].blocked;
    a.status = kUnavailable;
    ServerRecord(aid, 0, kUnavailable);
    Respond(aid);
  }

  void StartService(std::uint32_t aid) {
    attempts_[aid].phase = Phase::kInService;
    const std::uint32_t node = m_.replica_node[attempts_[aid].replica];
    Schedule(now_ + node_service_[node].Sample(NodeRng(node)), kEvServiceDone, aid,
             attempts_[aid].gen);
  }

  static double PsRate(std::size_t n, std::uint32_t c) {
    return n <= c ? 1.0 : static_cast<double>(c) / static_cast<double>(n);
  }
  void PsAdvance(ReplicaState& r, const Simulator::Impl::NodeModel& nm) {
    if (!r.ps.empty()) r.ps_v += (now_ - r.ps_last) * PsRate(r.ps.size(), nm.concurrency);
    r.ps_last = now_;
  }
  void PsReschedule(std::uint32_t replica, const Simulator::Impl::NodeModel& nm) {
    ReplicaState& r = replicas_[replica];
    ++r.ps_version;
    if (r.ps.empty()) return;
    const double dt =
        std::max(0.0, r.ps.front().first - r.ps_v) / PsRate(r.ps.size(), nm.concurrency);
    Schedule(now_ + dt, kEvPsDone, replica, r.ps_version);
  }
  void OnPsDone(std::uint32_t replica, std::uint32_t version) {
    ReplicaState& r = replicas_[replica];
    if (r.ps_version != version) return;
    const std::uint32_t node = m_.replica_node[replica];
    const auto& nm = m_.node_models[node];
    PsAdvance(r, nm);
    const double before = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
    std::pop_heap(r.ps.begin(), r.ps.end(), std::greater<>());
    const std::uint32_t aid = r.ps.back().second;
    r.ps.pop_back();
    const double after = std::min<double>(static_cast<double>(r.ps.size()), nm.concurrency);
    NodeChange(node, 0, after - before);
    PsReschedule(replica, nm);
    AfterService(aid);
  }

  void AfterService(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    const std::uint32_t node = m_.replica_node[a.replica];
    const auto& nm = m_.node_models[node];
    Rng& rng = NodeRng(node);
    if (node_error_[node] > 0 && rng.Bernoulli(node_error_[node])) {
      FinishJob(aid, kServerError);
      return;
    }
    if (!nm.calls.empty()) {
      // A guard count keeps the job alive while children that complete at once report.
      a.phase = Phase::kWaiting;
      a.pending = 1;
      const std::uint32_t gen = a.gen;
      for (const auto& call : nm.calls) {
        if (!rng.Bernoulli(call.probability)) continue;
        for (int k = 0; k < call.count; ++k) {
          ++attempts_[aid].pending;
          StartCall(call.cls, aid, gen, NodeStream(node));
        }
      }
      ChildDone(aid, gen, kOk, false);  // release the guard
      return;
    }
    if (!nm.next.empty()) {
      const double u = rng.Uniform01();
      double run = 0;
      for (const auto& hop : nm.next) {
        run += hop.probability;
        if (u < run) {
          // Forwarding: the worker is free now; the answer comes back down the chain.
          ReleaseWorker(aid);
          attempts_[aid].phase = Phase::kForwarded;
          attempts_[aid].pending = 1;
          StartCall(hop.cls, aid, attempts_[aid].gen, NodeStream(node));
          return;
        }
      }
    }
    FinishJob(aid, kOk);
  }

  void ChildDone(std::uint32_t aid, std::uint32_t gen, std::uint16_t status, bool required) {
    AttemptState& a = attempts_[aid];
    if (a.gen != gen) return;
    if (status >= 400 && required && !a.child_failed) {
      a.child_failed = true;
      a.child_status = status;
    }
    if (--a.pending > 0) return;
    if (a.phase == Phase::kForwarded) {
      FinishJob(aid, a.child_failed ? a.child_status : kOk);
    } else {
      FinishJob(aid, a.child_failed ? kBadGateway : kOk);
    }
  }

  void ReleaseWorker(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    if (!a.in_system) return;
    a.in_system = false;
    const std::uint32_t node = m_.replica_node[a.replica];
    const auto& nm = m_.node_models[node];
    ReplicaState& r = replicas_[a.replica];
    NodeRun& n = nodes_[node];
    if (now_ >= warmup_) {
      ++n.completions;
      n.sojourn += now_ - a.arrived;
    }
    --r.in_system;
    if (nm.discipline == Discipline::kFifo) {
      if (!r.queue.empty()) {
        const std::uint32_t next = r.queue.pop();
        NodeChange(node, -1, 0);
        StartService(next);
      } else {
        --r.busy;
        NodeChange(node, -1, -1);
      }
    } else {
      NodeChange(node, -1, 0);
    }
  }

  void FinishJob(std::uint32_t aid, std::uint16_t status) {
    ReleaseWorker(aid);
    AttemptState& a = attempts_[aid];
    a.status = status;
    ServerRecord(aid, now_ - a.arrived, status);
    Respond(aid);
  }

  void ServerRecord(std::uint32_t aid, double latency, std::uint16_t status) {
    const AttemptState& a = attempts_[aid];
    Record(a.server_edge, latency, status);
    const std::uint32_t node = m_.replica_node[a.replica];
    if (now_ >= warmup_) {
      NodeRun& n = nodes_[node];
      n.server.Add(latency);
      (status < 400 ? n.s : n.f)++;
      if (status == kDenied) ++n.d;
    }
    if (controller_ != nullptr && m_.node_models[node].watched) {
      controller_->OnServerResponse(node, now_, latency, status);
    }
  }

  void Respond(std::uint32_t aid) {
    attempts_[aid].phase = Phase::kResponding;
    const double d = Network(NodeRng(m_.replica_node[attempts_[aid].replica]));
    if (d == 0) {
      OnResponse(aid);
    } else {
      Schedule(now_ + d, kEvResponse, aid, attempts_[aid].gen);
    }
  }

  void OnResponse(std::uint32_t aid) {
    AttemptState& a = attempts_[aid];
    --replicas_[a.replica].outstanding;
    const std::uint32_t cid = a.call;
    CallState& c = calls_[cid];
    if (c.gen != a.call_gen || c.live_attempt != aid) {  // the client gave up on it
      FreeAttempt(aid);
      return;
    }
    const std::uint16_t status = a.status;
    if (a.split_edge != kNone) Record(a.split_edge, now_ - a.sent, status);
    c.live_attempt = kNone;
    FreeAttempt(aid);
    HandleAttemptResult(cid, status);
  }

  // --- metrics --------------------------------------------------------------------------
  void NodeChange(std::uint32_t node, double dn, double dbusy) {
    NodeRun& n = nodes_[node];
    if (now_ > warmup_) {
      const double from = std::max(n.last, warmup_);
      n.area += n.n * (now_ - from);
      n.busy_area += n.busy * (now_ - from);
    }
    n.n += dn;
    n.busy += dbusy;
    n.last = now_;
  }

  // The memory this replication holds: request state, pending events, queues and metric
  // windows. The simulator's own accounting (not rlimits, which break sanitizers, nor
  // bad_alloc, which Linux overcommit rarely raises) keeps a run inside its budget.
  std::size_t HeldBytes() const {
    std::size_t bytes = calls_.bytes() + attempts_.bytes() + heap_.capacity() * sizeof(Event);
    for (const ReplicaState& r : replicas_)
      bytes += r.queue.bytes() + r.ps.capacity() * sizeof(r.ps[0]);
    for (const EdgeRun& e : edges_) bytes += e.windows.capacity() * sizeof(MetricValues);
    return bytes;
  }

  bool OverBudget() {
    if (budget_ == 0 || !aborted_.empty()) return !aborted_.empty();
    const std::size_t held = HeldBytes();
    if (held <= budget_) return false;
    std::ostringstream why;
    why << "held " << (held >> 20) << " MiB (its share of the budget: " << (budget_ >> 20)
        << " MiB) at t=" << now_ << " s with " << calls_.live() + attempts_.live()
        << " request states in flight and " << heap_.size() << " pending events";
    aborted_ = why.str();
    stopped_ = true;
    return true;
  }

  void CloseWindows(EdgeRun& e, std::size_t upto) {
    if (!aborted_.empty()) return;
    std::size_t pushed = 0;
    while (e.window < upto && e.window < windows_) {
      if ((++pushed & 0xfff) == 0 && OverBudget()) return;
      const double start = static_cast<double>(e.window) * window_;
      const double span = std::min(window_, end_ - start);
      e.windows.push_back(Summarise(e.win, e.ws, e.wf, e.wd, span));
      if (e.win.count() > 0) e.win.Clear();
      e.ws = e.wf = e.wd = 0;
      ++e.window;
    }
  }

  void Record(std::uint32_t edge, double latency, std::uint16_t status) {
    EdgeRun& e = edges_[edge];
    const auto w = static_cast<std::size_t>(now_ / window_);
    if (w != e.window) CloseWindows(e, w);
    const bool ok = status < 400;
    const bool denied = status == kDenied;
    e.win.Add(latency);
    (ok ? e.ws : e.wf)++;
    if (denied) ++e.wd;
    if (now_ >= warmup_) {
      e.run.Add(latency);
      (ok ? e.s : e.f)++;
      if (denied) ++e.d;
    }
  }

  const Simulator::Impl& m_;
  const std::atomic<bool>* cancel_;
  bool cancelled_ = false;
  Controller* controller_;
  std::size_t budget_;   // bytes; 0 = none
  std::string aborted_;  // why the run stopped at its budget
  bool stopped_ = false;
  std::vector<std::uint8_t> active_;
  std::vector<std::uint8_t> adopted_;  // per node: runs as its adoptable identity
  std::vector<std::uint32_t> source_gen_;
  std::vector<Distribution> node_service_;
  std::vector<double> node_error_;
  std::vector<std::vector<double>> class_cumulative_;  // dynamic splits: current shares
  std::vector<Rng> streams_;                           // see MakeStreams
  std::vector<std::uint8_t> mmpp_phase_;               // per source: the MMPP state
  std::vector<double> mmpp_end_;  // per source: when that state ends (< 0: not begun)
  double end_, warmup_, window_;
  ReplicationProgress* progress_;
  std::size_t windows_ = 0;
  double now_ = 0;
  std::uint64_t seq_ = 0;
  std::vector<Event> heap_;
  Slab<CallState> calls_;
  Slab<AttemptState> attempts_;
  std::vector<ReplicaState> replicas_;
  std::vector<NodeRun> nodes_;
  std::vector<EdgeRun> edges_;
  std::vector<std::uint32_t> rr_;
  std::uint64_t requests_ = 0;
  std::size_t peak_in_flight_ = 0, peak_events_ = 0;
};

}  // namespace

ReplicationResult Simulator::RunReplication(std::uint64_t seed, double duration,
                                            ReplicationProgress* progress, Controller* controller,
                                            std::size_t memory_budget,
                                            const std::atomic<bool>* cancel) const {
  Replication run(*impl_, seed, duration, progress, controller, memory_budget, cancel);
  ReplicationResult r = run.Execute();
  r.seed = seed;
  return r;
}

}  // namespace meshproof::sim
