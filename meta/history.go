package meta

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The run history lives in three buckets of its own, created by the first
// SaveRun: a store written before the history existed (or never written
// by a real run) has none of them and reads as an empty history, so the
// store format did not change.
//
//	runs       run key -> run header: the Run without its jobs, the job
//	           count and the run's per-rule aggregate (below)
//	run-jobs   run key, 0x00, chunk number (4 bytes, big-endian) -> the
//	           run's jobs, jobsPerChunk a value
//	rule-time  rule -> count and total wall time of the successful jobs of
//	           the rule in the kept runs
//
// A run key is the run's start (8 bytes, big-endian Unix nanoseconds) and
// its ID, so the bucket's byte order is the runs' time order even for two
// runs in the same second, whose IDs sort by their random suffix. Runs
// reads only the headers, and MeanDurations only rule-time, so neither
// decodes a 100,000-job run. The per-run aggregate in the header lets
// SaveRun take a dropped run's jobs out of rule-time without decoding them.
//
// The jobs are cut into chunks because bbolt handles a large value badly:
// one 11 MB value (a 100,000-job run) is written as one run of contiguous
// pages, and a change to its leaf copies every value on it, the other
// runs' included; SaveRun of such a run allocated 70 MB. Chunks of
// jobsPerChunk jobs (about 100 KB) keep that to the run's own size.
//
// The values use encode.go's tagged binary encoding, for its reasons (and
// because a history value is read whole): gob writes its type description
// into every value it encodes alone, its decoder allocates more, and it is
// not bounds-checked the way decoder is against a damaged value.
//
//	header:  0x01 id, start, end, version, nArgs × arg, nTargets × target,
//	         dir, host, executor, cores, total, done, failed, skipped,
//	         interrupted (0 or 1), nRules × rule, nEdges × (from, to),
//	         nJobs, nAgg × (rule, count, wall)
//	jobs:    0x01 nJobs × (rule, nWildcards × (key, value) sorted by key,
//	         nInputs × path, nOutputs × path, nLogs × path, capture,
//	         status, start, end, exitCode, signal, error, attempts,
//	         userCPU, sysCPU, maxRSS, host, executor, logTail)
//	rule-time: 0x01 count, wall
//
// Durations are zig-zag varint nanoseconds.
// jobsPerChunk is how many jobs one run-jobs value holds.
const jobsPerChunk = 1000

var (
	bucketRuns     = []byte("runs")
	bucketRunJobs  = []byte("run-jobs")
	bucketRuleTime = []byte("rule-time")
)

const (
	// DefaultKeepRuns is how many runs the history keeps: SaveRun drops
	// the oldest beyond it.
	DefaultKeepRuns = 20
	// MaxKeptJobs bounds the job records of the kept runs: SaveRun also
	// drops the oldest runs while the kept runs hold more jobs than this
	// (a job takes about 110 bytes of store in bench/gen's fan, more with
	// long paths or many inputs). The newest run is always kept, however
	// many jobs it has.
	MaxKeptJobs = 1_000_000
)

// ErrNoRun is wrapped by LoadRun's error when the history is empty or has
// no run of the asked id.
var ErrNoRun = errors.New("no run recorded")

// NewRunID returns an id for a run started at t: its UTC time to the
// second, so ids sort by time, and 24 random bits, so two runs in the same
// second (or two directories' runs) still differ: "20261201-150405-3f9a2c".
func NewRunID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // never fails on Linux; zero bits would still give an id
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// SaveRun appends r to the history, replacing an earlier run of the same
// ID, and then drops the oldest runs beyond DefaultKeepRuns, and further
// while the kept runs hold more than MaxKeptJobs jobs (the newest run is
// always kept). It updates the per-rule durations MeanDurations reads in
// the same transaction. r.ID must be set (see NewRunID).
func (s *Store) SaveRun(r *Run) error { return s.saveRun(r, DefaultKeepRuns, MaxKeptJobs) }

// SaveRunJobs is SaveRun with the run's jobs from jobs instead of r.Jobs,
// which it ignores. jobs must come from s.NewRunJobs(r), or be the zero
// RunJobs.
func (s *Store) SaveRunJobs(r *Run, jobs *RunJobs) error {
	return s.saveJobs(r, jobs, DefaultKeepRuns, MaxKeptJobs)
}

// RunJobs collects a run's jobs as they end, for SaveRunJobs. Every full
// chunk (jobsPerChunk jobs) whose jobs are final is encoded as SaveRun
// stores it and, from NewRunJobs, handed to the store as a deferred write
// (see Store.Finish): a 100,000-job run then holds almost none of its
// history in memory (it was most of what such a run added, some 500 bytes
// a job as JobRuns, 110 encoded). Chunks written before the run's header
// (SaveRunJobs) are nobody's if the run dies first; the next SaveRun
// deletes them. A job added as not final stays a JobRun that Update can
// change, and so does its chunk. The zero RunJobs keeps its chunks.
type RunJobs struct {
	s    *Store // nil: keep chunks in memory
	key  []byte // the run's key
	segs []jobSegment
	n    int

	mu  sync.Mutex // the chunks' commits run on other goroutines
	err error      // the first chunk that could not be written
}

// NewRunJobs returns an empty RunJobs for run r (its ID and Start must be
// set and stay as they are) that writes its chunks to s as they fill.
func (s *Store) NewRunJobs(r *Run) *RunJobs {
	if s.readOnly || s.db == nil {
		return &RunJobs{}
	}
	return &RunJobs{s: s, key: runKey(r.Start, r.ID)}
}

// jobSegment is a stretch of the run's jobs, one stored chunk: encoded
// (enc), written to the store already (stored), or still JobRuns (jobs).
type jobSegment struct {
	enc    []byte
	stored bool
	n      int
	agg    []ruleAgg // of enc's jobs, or stored's
	jobs   []JobRun
	final  int // how many of jobs are final
}

func (seg *jobSegment) sealed() bool { return seg.enc != nil || seg.stored }

// Len is the number of jobs added.
func (b *RunJobs) Len() int { return b.n }

// Add appends jr and returns its index. final says jr will not change; a
// job added as not final can be changed with Update until SaveRunJobs.
func (b *RunJobs) Add(jr JobRun, final bool) int {
	if k := len(b.segs); k == 0 || b.segs[k-1].sealed() || b.segs[k-1].n == jobsPerChunk {
		b.segs = append(b.segs, jobSegment{jobs: make([]JobRun, 0, jobsPerChunk)})
	}
	seg := &b.segs[len(b.segs)-1]
	seg.jobs = append(seg.jobs, jr)
	seg.n++
	if final {
		seg.final++
	}
	if seg.n == jobsPerChunk && seg.final == seg.n {
		// A full chunk that cannot change any more. One with a job still
		// open stays as it is, for Update.
		b.seal(len(b.segs)-1, seg)
	}
	b.n++
	return b.n - 1
}

// seal encodes segment i and, with a store, queues its write.
func (b *RunJobs) seal(i int, seg *jobSegment) {
	seg.agg = aggregate(seg.jobs)
	enc := encodeRunJobs(seg.jobs)
	seg.jobs = nil
	if b.s == nil {
		seg.enc = enc
		return
	}
	k := chunkKey(b.key, i)
	err := b.s.deferWrite(func(tx *bolt.Tx) error {
		bk, err := tx.CreateBucketIfNotExists(bucketRunJobs)
		if err != nil {
			return err
		}
		return bk.Put(k, enc)
	}, b.fail)
	if err != nil {
		b.fail(err)
	}
	seg.stored = true
}

// check reports a chunk written ahead that is not in runJobs: its write
// failed (perhaps in this very transaction's batch, before fail heard).
func (b *RunJobs) check(runJobs *bolt.Bucket) error {
	b.mu.Lock()
	err := b.err
	b.mu.Unlock()
	if err != nil {
		return err
	}
	for i := range b.segs {
		if b.segs[i].stored && runJobs.Get(chunkKey(b.key, i)) == nil {
			return fmt.Errorf("write its jobs: chunk %d is missing", i)
		}
	}
	return nil
}

func (b *RunJobs) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = fmt.Errorf("write its jobs: %w", err)
	}
}

// Update calls fn with job i unless it is encoded already (a job added
// as not final never is); it reports whether it did.
func (b *RunJobs) Update(i int, fn func(jr *JobRun)) bool {
	for k := range b.segs {
		seg := &b.segs[k]
		if i < seg.n {
			if seg.sealed() {
				return false
			}
			fn(&seg.jobs[i])
			return true
		}
		i -= seg.n
	}
	return false
}

// chunks returns the chunks that are not in the store yet, by chunk
// number, and the aggregate of all jobs.
func (b *RunJobs) chunks() (map[int][]byte, []ruleAgg) {
	out := map[int][]byte{}
	var aggs [][]ruleAgg
	for i := range b.segs {
		seg := &b.segs[i]
		switch {
		case seg.stored:
			aggs = append(aggs, seg.agg)
		case seg.enc != nil:
			out[i] = seg.enc
			aggs = append(aggs, seg.agg)
		case seg.n > 0:
			out[i] = encodeRunJobs(seg.jobs)
			aggs = append(aggs, aggregate(seg.jobs))
		}
	}
	return out, mergeAggs(aggs)
}

// mergeAggs adds up per-rule aggregates, sorted by rule.
func mergeAggs(aggs [][]ruleAgg) []ruleAgg {
	m := map[string]ruleAgg{}
	for _, a := range aggs {
		for _, x := range a {
			t := m[x.rule]
			t.rule = x.rule
			t.n += x.n
			t.wall += x.wall
			m[x.rule] = t
		}
	}
	return sortedAggs(m)
}

// sortedAggs lists m's aggregates by rule.
func sortedAggs(m map[string]ruleAgg) []ruleAgg {
	out := make([]ruleAgg, 0, len(m))
	for _, a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b ruleAgg) int { return strings.Compare(a.rule, b.rule) })
	return out
}

// keptRun is what saveRun needs of a stored run.
type keptRun struct {
	key  []byte
	id   string
	jobs int
	agg  []ruleAgg
}

// ruleAgg is the count and total wall time of a rule's successful jobs.
type ruleAgg struct {
	rule string
	n    int
	wall time.Duration
}

func (s *Store) saveRun(r *Run, keepRuns, keepJobs int) error {
	var jobs RunJobs
	for _, jr := range r.Jobs {
		jobs.Add(jr, true)
	}
	return s.saveJobs(r, &jobs, keepRuns, keepJobs)
}

func (s *Store) saveJobs(r *Run, jobs *RunJobs, keepRuns, keepJobs int) error {
	if r.ID == "" || strings.IndexByte(r.ID, 0) >= 0 {
		return fmt.Errorf("save run: the run's id %q is empty or has a NUL byte", r.ID)
	}
	if s.readOnly {
		return ErrReadOnly
	}
	newKey := runKey(r.Start, r.ID)
	if jobs.s != nil && (jobs.s != s || !bytes.Equal(jobs.key, newKey)) {
		return fmt.Errorf("save run %s: its jobs were collected for another run or store", r.ID)
	}
	chunks, agg := jobs.chunks()
	nJobs := jobs.Len()
	head := encodeRunHeader(r, nJobs, agg)
	// The stored chunks' writes are queued ahead of this one: committed
	// by now, or in the same transaction.
	err := s.write(func(tx *bolt.Tx) error {
		var bs [3]*bolt.Bucket
		for i, name := range [][]byte{bucketRuns, bucketRunJobs, bucketRuleTime} {
			b, err := tx.CreateBucketIfNotExists(name)
			if err != nil {
				return err
			}
			bs[i] = b
		}
		runs, runJobs, ruleTime := bs[0], bs[1], bs[2]
		kept, err := s.keptRuns(runs)
		if err != nil {
			return err
		}
		delta := map[string]ruleAgg{}
		add := func(a []ruleAgg, sign int) {
			for _, x := range a {
				d := delta[x.rule]
				d.n += sign * x.n
				d.wall += time.Duration(sign) * x.wall
				delta[x.rule] = d
			}
		}
		drop := func(k keptRun) error {
			add(k.agg, -1)
			if err := runs.Delete(k.key); err != nil {
				return err
			}
			return deleteChunks(runJobs, k.key)
		}
		// A run saved again (same id) replaces itself; chunks of this run
		// written ahead stay (they were overwritten), those past its
		// jobs go.
		kept = slices.DeleteFunc(kept, func(k keptRun) bool {
			if k.id != r.ID {
				return false
			}
			if bytes.Equal(k.key, newKey) {
				add(k.agg, -1)
				err = cmp.Or(err, deleteChunksFrom(runJobs, k.key, len(jobs.segs)))
			} else {
				err = cmp.Or(err, drop(k))
			}
			return true
		})
		if err != nil {
			return err
		}
		if err := deleteOrphanChunks(runs, runJobs, newKey); err != nil {
			return err
		}
		if err := jobs.check(runJobs); err != nil {
			return err
		}
		if err := runs.Put(newKey, head); err != nil {
			return err
		}
		for i, c := range chunks {
			if err := runJobs.Put(chunkKey(newKey, i), c); err != nil {
				return err
			}
		}
		add(agg, 1)
		kept = append(kept, keptRun{key: newKey, id: r.ID, jobs: nJobs})
		slices.SortFunc(kept, func(a, b keptRun) int { return bytes.Compare(a.key, b.key) })
		total := 0
		for _, k := range kept {
			total += k.jobs
		}
		for len(kept) > 1 && (len(kept) > keepRuns || total > keepJobs) {
			if err := drop(kept[0]); err != nil {
				return err
			}
			total -= kept[0].jobs
			kept = kept[1:]
		}
		return s.applyRuleTime(ruleTime, delta)
	})
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	return nil
}

// keptRuns lists the stored runs, oldest first.
func (s *Store) keptRuns(runs *bolt.Bucket) ([]keptRun, error) {
	var out []keptRun
	err := runs.ForEach(func(k, v []byte) error {
		h, n, agg, err := decodeRunHeader(v)
		if err != nil {
			return s.damagedRun(k, err)
		}
		out = append(out, keptRun{key: bytes.Clone(k), id: h.ID, jobs: n, agg: agg})
		return nil
	})
	return out, err
}

func (s *Store) applyRuleTime(b *bolt.Bucket, delta map[string]ruleAgg) error {
	for rule, d := range delta {
		if d.n == 0 && d.wall == 0 {
			continue
		}
		var cur ruleAgg
		if v := b.Get([]byte(rule)); v != nil {
			var err error
			if cur, err = decodeRuleTime(v); err != nil {
				return &CorruptError{Path: s.path, Err: fmt.Errorf("rule-time of rule %s: %w", rule, err)}
			}
		}
		cur.n += d.n
		cur.wall += d.wall
		if cur.n <= 0 {
			if err := b.Delete([]byte(rule)); err != nil {
				return err
			}
			continue
		}
		if err := b.Put([]byte(rule), encodeRuleTime(cur)); err != nil {
			return err
		}
	}
	return nil
}

// Runs returns the kept runs, newest first, without their jobs (Jobs is
// nil; LoadRun gives them).
func (s *Store) Runs() ([]Run, error) {
	if s.db == nil {
		return nil, nil
	}
	var out []Run
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuns)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			r, _, _, err := decodeRunHeader(v)
			if err != nil {
				return s.damagedRun(k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// LoadRun returns the run of the given id with its jobs; id "" is the
// newest run, and a unique prefix of an id will do. When the history is
// empty or knows no such run, the error wraps ErrNoRun and names the
// newest ids.
func (s *Store) LoadRun(id string) (*Run, error) {
	var (
		run       *Run
		newest    []string // the ids, newest first, when none matched
		ambiguous bool
	)
	if s.db != nil {
		err := s.view(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketRuns)
			if b == nil {
				return nil
			}
			var key []byte
			var prefixed [][]byte
			nJobs := 0
			c := b.Cursor()
			for k, v := c.Last(); k != nil; k, v = c.Prev() {
				h, n, _, err := decodeRunHeader(v)
				if err != nil {
					return s.damagedRun(k, err)
				}
				if id == "" || h.ID == id {
					key, run, nJobs = k, &h, n
					break
				}
				if strings.HasPrefix(h.ID, id) {
					prefixed = append(prefixed, k)
				}
				newest = append(newest, h.ID)
			}
			if run == nil && len(prefixed) == 1 {
				key = prefixed[0]
				h, n, _, _ := decodeRunHeader(b.Get(key)) // decoded above
				run, nJobs = &h, n
			}
			if run == nil {
				ambiguous = len(prefixed) > 1
				return nil
			}
			jobs, err := s.loadJobs(tx.Bucket(bucketRunJobs), key, nJobs)
			run.Jobs = jobs
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if run == nil {
		return nil, noSuchRun(id, newest, ambiguous)
	}
	return run, nil
}

// loadJobs decodes the n jobs of the run at key, chunk by chunk.
func (s *Store) loadJobs(b *bolt.Bucket, key []byte, n int) ([]JobRun, error) {
	if n == 0 {
		return nil, nil
	}
	if b == nil {
		return nil, s.damagedRun(key, errors.New("its jobs are missing"))
	}
	jobs := make([]JobRun, 0, min(n, 1<<20))
	prefix := chunkKey(key, 0)[:len(key)+1]
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var err error
		if jobs, err = appendRunJobs(jobs, v); err != nil {
			return nil, s.damagedRun(key, err)
		}
	}
	if len(jobs) != n {
		return nil, s.damagedRun(key, fmt.Errorf("%d of its %d jobs are stored", len(jobs), n))
	}
	return jobs, nil
}

// deleteChunks deletes the job chunks of the run at key.
func deleteChunks(b *bolt.Bucket, key []byte) error { return deleteChunksFrom(b, key, 0) }

// deleteChunksFrom deletes the job chunks of the run at key from chunk
// number first on.
func deleteChunksFrom(b *bolt.Bucket, key []byte, first int) error {
	prefix := chunkKey(key, 0)[:len(key)+1]
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(chunkKey(key, first)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	return deleteKeys(b, keys)
}

// deleteKeys deletes keys from b; not with a cursor, whose Delete makes
// Next skip a key.
func deleteKeys(b *bolt.Bucket, keys [][]byte) error {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// deleteOrphanChunks deletes the job chunks of runs without a header
// (their flowmake died before SaveRunJobs), but the run at keep's.
func deleteOrphanChunks(runs, runJobs *bolt.Bucket, keep []byte) error {
	var orphans [][]byte
	c := runJobs.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 5 {
			continue // not a chunk key; LoadRun never reads it
		}
		run := k[:len(k)-5]
		if !bytes.Equal(run, keep) && runs.Get(run) == nil {
			orphans = append(orphans, bytes.Clone(k))
		}
	}
	return deleteKeys(runJobs, orphans)
}

// chunkKey is the run-jobs key of chunk i of the run at key. The 0x00
// ends the id (ids have none), so no run's chunks share another's prefix.
func chunkKey(key []byte, i int) []byte {
	k := append(append(make([]byte, 0, len(key)+5), key...), 0)
	return binary.BigEndian.AppendUint32(k, uint32(i))
}

func noSuchRun(id string, newest []string, ambiguous bool) error {
	switch {
	case len(newest) == 0:
		return fmt.Errorf("%w yet: the history is empty", ErrNoRun)
	case ambiguous:
		return fmt.Errorf("%w with id %q: it is the start of several ids; give more of it (the newest runs are %s)", ErrNoRun, id, listIDs(newest))
	}
	return fmt.Errorf("%w with id %q; the newest runs are %s", ErrNoRun, id, listIDs(newest))
}

// listIDs names the first five ids, newest first.
func listIDs(ids []string) string {
	if len(ids) > 5 {
		return strings.Join(ids[:5], ", ") + fmt.Sprintf(" and %d older", len(ids)-5)
	}
	return strings.Join(ids, ", ")
}

// MeanDurations returns, per rule, the mean wall time of its successful
// jobs in the kept runs. A rule without one is absent.
func (s *Store) MeanDurations() (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	if s.db == nil {
		return out, nil
	}
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRuleTime)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			a, err := decodeRuleTime(v)
			if err != nil {
				return &CorruptError{Path: s.path, Err: fmt.Errorf("rule-time of rule %s: %w", k, err)}
			}
			if a.n > 0 {
				out[string(k)] = a.wall / time.Duration(a.n)
			}
			return nil
		})
	})
	return out, err
}

func (s *Store) damagedRun(key []byte, err error) error {
	id := ""
	if len(key) > 8 {
		id, _, _ = strings.Cut(string(key[8:]), "\x00")
	}
	return &CorruptError{Path: s.path, Err: fmt.Errorf("run %s of the history: %w", id, err)}
}

func runKey(start time.Time, id string) []byte {
	var ns uint64
	if !start.IsZero() && start.UnixNano() > 0 {
		ns = uint64(start.UnixNano())
	}
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(id)), ns), id...)
}

// aggregate sums the wall time of the successful jobs per rule, sorted by
// rule.
func aggregate(jobs []JobRun) []ruleAgg {
	m := map[string]ruleAgg{}
	for i := range jobs {
		j := &jobs[i]
		if j.Status != "ok" || j.Start.IsZero() || j.End.Before(j.Start) {
			continue
		}
		a := m[j.Rule]
		a.rule = j.Rule
		a.n++
		// The wall clock, as the stored times give it (without the
		// monotonic reading they lose).
		a.wall += j.End.Round(0).Sub(j.Start.Round(0))
		m[j.Rule] = a
	}
	return sortedAggs(m)
}

func encodeRunHeader(r *Run, nJobs int, agg []ruleAgg) []byte {
	e := encoder{b: make([]byte, 0, 256)}
	e.b = append(e.b, valueTag)
	e.str(r.ID)
	e.time(r.Start)
	e.time(r.End)
	e.str(r.Version)
	e.strs(r.Args)
	e.strs(r.Targets)
	e.str(r.Dir)
	e.str(r.Host)
	e.str(r.Executor)
	e.int(int64(r.Cores))
	e.int(int64(r.Total))
	e.int(int64(r.Done))
	e.int(int64(r.Failed))
	e.int(int64(r.Skipped))
	if r.Interrupted {
		e.uint(1)
	} else {
		e.uint(0)
	}
	e.strs(r.Rules)
	e.uint(len(r.RuleEdges))
	for _, ed := range r.RuleEdges {
		e.str(ed[0])
		e.str(ed[1])
	}
	e.uint(nJobs)
	e.uint(len(agg))
	for _, a := range agg {
		e.str(a.rule)
		e.uint(a.n)
		e.int(int64(a.wall))
	}
	return e.b
}

func decodeRunHeader(b []byte) (r Run, nJobs int, agg []ruleAgg, err error) {
	d := newDecoder(b)
	d.tag()
	r.ID = d.str()
	r.Start = d.time()
	r.End = d.time()
	r.Version = d.str()
	r.Args = d.strs()
	r.Targets = d.strs()
	r.Dir = d.str()
	r.Host = d.str()
	r.Executor = d.str()
	r.Cores = int(d.int())
	r.Total = int(d.int())
	r.Done = int(d.int())
	r.Failed = int(d.int())
	r.Skipped = int(d.int())
	r.Interrupted = d.uvarint() != 0
	r.Rules = d.strs()
	if n := d.count(); n > 0 {
		r.RuleEdges = make([][2]string, n)
		for i := range r.RuleEdges {
			r.RuleEdges[i] = [2]string{d.str(), d.str()}
		}
	}
	nJobs = int(d.uvarint())
	if n := d.count(); n > 0 {
		agg = make([]ruleAgg, n)
		for i := range agg {
			agg[i] = ruleAgg{rule: d.str(), n: int(d.uvarint()), wall: time.Duration(d.int())}
		}
	}
	if err := d.end(); err != nil {
		return Run{}, 0, nil, err
	}
	return r, nJobs, agg, nil
}

func encodeRunJobs(jobs []JobRun) []byte {
	e := encoder{b: make([]byte, 0, 64+160*len(jobs))}
	e.b = append(e.b, valueTag)
	e.uint(len(jobs))
	var keys []string
	for i := range jobs {
		j := &jobs[i]
		e.str(j.Rule)
		keys = e.wildcards(j.Wildcards, keys)
		e.strs(j.Inputs)
		e.strs(j.Outputs)
		e.strs(j.Logs)
		e.str(j.Capture)
		e.str(j.Status)
		e.time(j.Start)
		e.time(j.End)
		e.int(int64(j.ExitCode))
		e.int(int64(j.Signal))
		e.str(j.Error)
		e.int(int64(j.Attempts))
		e.int(int64(j.UserCPU))
		e.int(int64(j.SysCPU))
		e.int(j.MaxRSS)
		e.str(j.Host)
		e.str(j.Executor)
		e.str(j.LogTail)
	}
	return e.b
}

func decodeRunJobs(b []byte) ([]JobRun, error) { return appendRunJobs(nil, b) }

// appendRunJobs decodes a chunk of jobs onto the end of jobs.
func appendRunJobs(jobs []JobRun, b []byte) ([]JobRun, error) {
	d := newDecoder(b)
	d.tag()
	n := d.count()
	if n == 0 {
		return jobs, d.end()
	}
	start := len(jobs)
	jobs = slices.Grow(jobs, n)[:start+n]
	for i := start; i < len(jobs); i++ {
		j := &jobs[i]
		*j = JobRun{} // the spare capacity may hold anything
		j.Rule = d.str()
		j.Wildcards = d.wildcards()
		j.Inputs = d.strs()
		j.Outputs = d.strs()
		j.Logs = d.strs()
		j.Capture = d.str()
		j.Status = d.str()
		j.Start = d.time()
		j.End = d.time()
		j.ExitCode = int(d.int())
		j.Signal = int(d.int())
		j.Error = d.str()
		j.Attempts = int(d.int())
		j.UserCPU = time.Duration(d.int())
		j.SysCPU = time.Duration(d.int())
		j.MaxRSS = d.int()
		j.Host = d.str()
		j.Executor = d.str()
		j.LogTail = d.str()
		if d.err != nil {
			break
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return jobs, nil
}

func encodeRuleTime(a ruleAgg) []byte {
	e := encoder{b: make([]byte, 0, 16)}
	e.b = append(e.b, valueTag)
	e.uint(a.n)
	e.int(int64(a.wall))
	return e.b
}

func decodeRuleTime(b []byte) (ruleAgg, error) {
	d := newDecoder(b)
	d.tag()
	a := ruleAgg{n: int(d.uvarint()), wall: time.Duration(d.int())}
	return a, d.end()
}
