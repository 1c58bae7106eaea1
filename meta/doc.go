// Package meta is flowmake's memory of earlier runs: a metadata store under
// .flowmake/ in the working directory, the directory lock, content hashing,
// and a dag.Checker that refines the timestamp verdict with what the store
// knows.
//
// Timestamps alone lie. A job killed by kill -9 or a power cut can leave an
// output newer than its inputs but cut short; a changed command or param
// should rerun its jobs; a fresh checkout resets every mtime. So before a
// job starts, its outputs get an incomplete mark that is on disk before the
// process is spawned; once the outputs are verified, one transaction
// replaces the mark with a Record of how they were made (code hash, params
// hash, input list and, with the content trigger, the inputs' content
// hashes).
//
// # Layout
//
// .flowmake/lock is the directory lock (see Lock). .flowmake/meta.db is one
// bbolt database with four buckets, keyed by cleaned paths relative to the
// working directory:
//
//	meta        "format" -> decimal store format (Format); "writer" -> the
//	            flowmake version that created the store
//	records     output path -> Record
//	incomplete  output path -> Mark (job key, time the job started)
//	hashes      file path -> FileHash (size, mtime, xxhash64): the content
//	            hash cache, so an unchanged file is read once
//
// and the run history's three buckets (runs, run-jobs, rule-time; see
// history.go), which a store gets at its first recorded run.
//
// Values use a small tagged binary encoding (encode.go): a full decode
// (Get) takes 1-1.6 µs and 4 allocations a record where encoding/json
// took 8-9 µs and 30, and the Checker does not decode at all (see Reads).
//
// # Why bbolt
//
// An embedded store was wanted, crash-safe without a server. bbolt gives:
// transactions (a Finish writes the records of all outputs and clears their
// marks at once, or not at all); commits that are fsync'd before they
// return, with a copy-on-write B+tree and two checksummed meta pages, so a
// power cut leaves the last committed state, never a torn one; a single
// file (nothing to clean up beside it, and removing it is the documented
// way to start afresh); and MVCC reads that need no lock and never wait
// for the writer in the same process, so the planner's thousands of
// lookups run in one cheap read transaction. A directory of per-output
// JSON files (Snakemake's way) needs a file and an fsync per output and
// many small reads per run; SQLite would bring cgo or a large pure-Go
// port for what is a key-value job.
//
// Across processes, bbolt locks its file (exclusive for a writer, shared
// for a reader). Open waits at most OpenOptions.Timeout for it and then
// returns a *BusyError; the run as a whole is serialised by Lock, which is
// taken first.
//
// # Damage
//
// A file that is not a bbolt database, a damaged page or a record that
// does not decode gives a *CorruptError naming the file (and the output)
// and the way out: flowmake --cleanup-metadata OUTPUT for one record,
// removing .flowmake/meta.db to start afresh (outputs are then judged by
// timestamps). bbolt panics on some damaged pages and may fault on a page
// id past the end of the map; every access to the file runs with
// debug.SetPanicOnFault and a recover that turns both into that error. A
// store from a newer flowmake gives a *VersionError. The package never
// deletes or repairs anything on its own.
//
// # Reads
//
// Get, Incomplete and the Checker share one read transaction, begun at
// the first lookup and ended by the next commit (or Close), so a lookup
// costs a B+tree search, not a transaction; View gives a private snapshot
// for bulk reads. Each Reader keeps one bbolt cursor per bucket and a key
// buffer for its lookups, and a snapshot whose incomplete bucket is empty
// (the usual case) skips the mark lookups altogether.
//
// The metadata must add little to a no-op run (the goal: under 10% of a
// 10,000-job workflow's), so the Checker, which looks at every up-to-date
// job, never builds a Record: viewRecord walks the stored value with the
// same reads as decodeRecord (so a damaged record is caught the same way)
// but copies nothing, and the checker compares the hashes as bytes and the
// input list element by element against the job's paths (cleaning a path
// only if it differs as written), copying the list only to name a
// difference. The code hash of a rule's shell template is computed once
// per rule, and empty params (most rules have none) are not encoded at
// all. On a 2-vCPU EPYC VM, CPU per pass over 10,000 up-to-date jobs
// (BenchmarkCheck10kWorkflow, the shape of bench/gen's workflow): about
// 4-5 ms and no allocations (15 ms and 10 allocations a job with full
// decodes). BenchmarkCheck10k, whose jobs each carry non-empty params and
// their own rule, takes 14-18 ms (was 26-38), most of it walking the
// params through go-cty (attribute map iteration, GetAttr, AsBigFloat's
// two allocations): params are evaluated per job, so each job's hash must
// be computed afresh. Opening the store and looking up 10,000 outputs with
// full decodes takes about 10 ms (BenchmarkLookup10k). These are CPU
// times; on a busy host the wall time is mostly other work. Params are
// hashed through a fast path that gives the same bytes as go-cty's JSON
// encoder (which spent most of the pass formatting numbers through
// math/big).
//
// Measured and not used: reading the whole records bucket with one
// sequential cursor scan into a map, then looking up from the map, takes
// twice the CPU of 10,000 cursor seeks (3.8-4.1 ms against 1.8-2.4 ms)
// and allocates 1.9 MB, and would make a run that needs one record read
// them all.
//
// # Writes
//
// A commit is two fdatasyncs (about 0.1-0.3 ms each on the test VM's
// disk, more on spinning or network disks), and a run of trivial jobs
// used to pay two commits a job. Only what guards against a killed run
// has to be on disk at once:
//
//   - Start records must be on disk before a job starts, or a run killed
//     mid-job (SIGKILL, a crash) would leave a half-written output that
//     looks up to date. MarkIncomplete and MarkAll return only once
//     committed. The scheduler hands the store the next jobs to start in
//     batches (exec.Hooks.Prepare, up to exec.PrepareAhead), so one commit
//     marks 32 jobs; a batch's jobs that then never start get their marks
//     taken back (Unmark), except marks an earlier run left.
//   - End records (Finish, Fail) are deferred: they join the next commit
//     (a batch of start records, the history, Sync, Close) or the flush
//     timer's, FlushDelay later. Losing one loses nothing that matters:
//     until it is on disk the outputs keep their start records, so the
//     next run redoes those jobs rather than trusting them, and a run that
//     ends normally commits it in Close. Reads commit deferred writes
//     first, so the store always reads what it was told.
//   - The run history's job chunks are deferred writes too, as they fill
//     (RunJobs), so a long run does not hold its history in memory.
//
// Writers that arrive while a commit is under way are committed together
// in the next one (group commit). bbolt's own Batch was measured and not
// used: it holds a lone writer for its 10 ms MaxBatchDelay, which made a
// sequential Finish cost 12-18 ms instead of about 1 ms. Content hashes
// computed in between ride along with the next commit, or with Close.
// BenchmarkFinish has the figures: a commit a job costs 1.4-2.4 ms of a
// lone writer, a batch of 32 starts with deferred ends 0.17 ms a job.
package meta
