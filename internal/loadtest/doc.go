// Package loadtest runs wabulk end to end against simulated providers and
// measures it: the demo (Demo: three campaigns that take every path a real
// one does, verified to the last recipient) and the benchmarks, each
// measured side by side with its baseline in the same run:
//
//   - Pipeline: import and send N recipients in one process, against bare
//     asynq with a no-op handler and against a naive sender (an asynq
//     handler that only calls the same adapter), with CPU per message;
//   - Fleet: real `wabulk worker` processes on one Redis (one node,
//     Sentinel or Cluster) against a simulated provider enforcing its rate
//     limit (and an outage, or a Redis failover mid-campaign);
//   - Webhooks: serve's webhook receiver against an HTTP floor and a bare
//     enqueue;
//   - Lanes: reminders on lane high while a campaign drains;
//   - Footprint: Redis memory per queued and per finished recipient
//     (INFO memory before and after, MEMORY USAGE by key family);
//   - Scheduled: how late send_at messages go out, against asynq ProcessAt.
//
// InProcess assembles a simulator and a pipeline in one process for them.
// Every run counts lost and duplicated messages and fails when there is
// one; figures are printed, never asserted. The command line (flags) is
// cmd/wabulk's loadtest and demo commands; BENCHMARKS.md has the figures.
//
//	err := loadtest.Pipeline(ctx, loadtest.PipelineOptions{N: 20000, Concurrency: 50, Bare: true,
//		Timeout: 10 * time.Minute}, os.Stdout, os.Stderr)
package loadtest
