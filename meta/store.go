package meta

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/flowmake/flowmake/workdir"
)

const (
	// DBName is the database file inside the .flowmake directory.
	DBName = "meta.db"
	// Format is the newest store format this package reads and the one it
	// writes. A store with a higher format is refused with a *VersionError.
	Format = 1
	// DefaultTimeout is how long Open waits for another process's hold on
	// the database file before it gives up with a *BusyError.
	DefaultTimeout = time.Second
)

var (
	bucketMeta       = []byte("meta")
	bucketRecords    = []byte("records")
	bucketIncomplete = []byte("incomplete")
	bucketHashes     = []byte("hashes")
	keyFormat        = []byte("format")
	keyWriter        = []byte("writer")
)

// OpenOptions steer Open.
type OpenOptions struct {
	// ReadOnly opens for a dry run: nothing is created or written, and a
	// missing database reads as an empty store. The write methods return
	// ErrReadOnly.
	ReadOnly bool
	// Timeout bounds the wait for another process's hold on the database
	// file; 0 means DefaultTimeout.
	Timeout time.Duration
	// Version is the flowmake version, recorded when the store is created
	// so that a VersionError can name who wrote a newer store.
	Version string
}

// Record is what the store knows about one output: how the job that made it
// last ran successfully.
type Record struct {
	Rule      string
	Wildcards map[string]string
	// CodeHash is CodeHash of the rendered shell command, or of the
	// script's text.
	CodeHash string
	// ParamsHash is ParamsHash of the job's params.
	ParamsHash string
	// Inputs is the job's input list, as paths.
	Inputs []string
	// InputHashes is filled only with the content trigger: per input path,
	// its size, mtime and content hash when the output was made.
	InputHashes map[string]FileHash
	Start, End  time.Time
	ExitStatus  int
	Version     string // flowmake version
}

// FileHash identifies one state of a file's content.
type FileHash struct {
	Size    int64
	ModTime time.Time
	Sum     string // xxhash64 of the content, 16 hex digits
}

// Mark is an incomplete mark: the output's job was started and has not
// finished (or failed cleanly) since.
type Mark struct {
	Output string
	JobKey string
	Since  time.Time
}

// Store is the metadata store of one working directory. Its methods are
// safe for concurrent use; Close must come after all other calls returned.
type Store struct {
	db       *bolt.DB    // nil: read-only store without a database file
	path     string      // the database file
	dir      string      // the .flowmake directory
	root     workdir.Dir // the working directory: relative paths resolve here
	readOnly bool

	// Group commit: the first writer leads and commits everything queued
	// behind it in one transaction. Deferred writes (Finish, Fail) wait in
	// the queue for the next commit, or for the flush timer (see later).
	wmu      sync.Mutex
	idle     sync.Cond // signalled when leading turns false
	leading  bool
	queue    []*writeReq
	closed   bool
	deferred atomic.Int32 // deferred writes queued, not committed yet
	flush    *time.Timer  // commits deferred writes nobody else committed
	armed    bool         // flush is set to fire
	lateErr  error        // the first deferred write that failed

	// Outputs MarkAll marked that had no mark before, and whose job has
	// not ended: the marks Unmark may take back.
	fmu   sync.Mutex
	fresh map[string]struct{}

	// Content hashes not yet written; they ride along with the next write
	// transaction (a read-only store keeps them here as its cache).
	hmu     sync.Mutex
	pending map[string]FileHash

	// A read transaction shared by Get, Incomplete and the Checker, so a
	// lookup costs no transaction of its own. Every commit (and Close)
	// ends it first, holding smu meanwhile: a commit may have to remap the
	// file, which waits for open reads, and the next lookup must see what
	// was just written. No other process writes while we have the file
	// open (bbolt's lock), so the snapshot is never stale.
	smu   sync.Mutex
	snap  *bolt.Tx
	snapR *Reader
}

// Empty returns a read-only store that knows nothing: every output is
// judged by timestamps. It stands in when the real store cannot be read
// now (another run holds it) and reading is all that is asked.
func Empty() *Store {
	return &Store{readOnly: true, pending: make(map[string]FileHash)}
}

// Open opens the metadata store in dir, the .flowmake directory. Unless
// opts.ReadOnly, it creates dir (0755) and the database if missing. Open
// never waits longer than opts.Timeout for another process and never
// deletes or repairs anything: a damaged file gives a *CorruptError, a
// newer format a *VersionError, a file held by another writer a
// *BusyError.
func Open(dir string, opts OpenOptions) (*Store, error) {
	path := filepath.Join(dir, DBName)
	s := &Store{
		path:     path,
		dir:      dir,
		root:     workdir.Dir(filepath.Dir(filepath.Clean(dir))),
		readOnly: opts.ReadOnly,
		pending:  make(map[string]FileHash),
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("metadata directory %s is not a directory; remove or rename it", dir)
	}
	if opts.ReadOnly {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return s, nil
		case err != nil:
			return nil, openError(path, err)
		case fi.IsDir():
			return nil, openError(path, errors.New("is a directory"))
		case fi.Size() == 0:
			// Created but never initialised (a crash right after bbolt
			// created it): nothing recorded yet.
			return s, nil
		}
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create metadata directory %s: %w; remove or rename what is in the way", dir, err)
		}
		if err := checkFreelist(path, timeout); err != nil {
			return nil, s.classifyOpenError(err)
		}
	}
	db, err := openBolt(path, &bolt.Options{Timeout: timeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, s.classifyOpenError(err)
	}
	s.db = db
	if err := s.setup(opts.Version); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func openBolt(path string, o *bolt.Options) (db *bolt.DB, err error) {
	var file *os.File
	o.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer func() {
		if p := recover(); p != nil {
			// bbolt panicked half way through Open: close the file it
			// opened. If it was mapped already, the mapping keeps the
			// file (and bbolt's lock on it) until the process exits,
			// which is why a writable Open checks the freelist first.
			if file != nil {
				file.Close()
			}
			db, err = nil, &CorruptError{Path: path, Err: fmt.Errorf("%v", p)}
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return bolt.Open(path, 0o644, o)
}

func (s *Store) classifyOpenError(err error) error {
	var ce *CorruptError
	switch {
	case errors.As(err, &ce):
		return err
	case errors.Is(err, berrors.ErrTimeout):
		be := &BusyError{Path: s.path}
		be.Pid, be.Since, _ = readLockInfo(filepath.Join(s.dir, LockName))
		return be
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrInvalidMapping):
		return &CorruptError{Path: s.path, Err: err}
	}
	return openError(s.path, err)
}

func openError(path string, err error) error {
	fix := ""
	if errors.Is(err, fs.ErrPermission) {
		fix = "check its permissions, or "
	}
	return fmt.Errorf("metadata store %s cannot be opened: %w; %s%s", path, err, fix, freshStart(path))
}

// setup checks the format marker and, for a writable store, creates what
// is missing.
func (s *Store) setup(version string) error {
	var (
		format  int
		writer  string
		found   bool
		foreign bool
		missing bool
	)
	err := s.view(func(tx *bolt.Tx) error {
		m := tx.Bucket(bucketMeta)
		if m == nil {
			// Either a file bbolt created and we never got to initialise,
			// or somebody else's database.
			return tx.ForEach(func([]byte, *bolt.Bucket) error {
				foreign = true
				return nil
			})
		}
		found = true
		v := m.Get(keyFormat)
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 1 {
			return &CorruptError{Path: s.path, Err: fmt.Errorf("format marker %q is not valid", v)}
		}
		format, writer = n, string(m.Get(keyWriter))
		for _, name := range [][]byte{bucketRecords, bucketIncomplete, bucketHashes} {
			if tx.Bucket(name) == nil {
				missing = true
			}
		}
		return nil
	})
	switch {
	case err != nil:
		return err
	case foreign:
		return &CorruptError{Path: s.path, Err: errors.New("not a flowmake metadata store (no meta bucket)")}
	case found && format > Format:
		return &VersionError{Path: s.path, Found: format, Supported: Format, Writer: writer}
	case s.readOnly || (found && !missing):
		return nil
	}
	return s.update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketRecords, bucketIncomplete, bucketHashes} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if found {
			return nil
		}
		m := tx.Bucket(bucketMeta)
		if err := m.Put(keyFormat, []byte(strconv.Itoa(Format))); err != nil {
			return err
		}
		return m.Put(keyWriter, []byte(version))
	})
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close commits the deferred writes and cached content hashes, and closes
// the database. Its error includes a deferred write that failed (see
// Sync).
func (s *Store) Close() error {
	s.wmu.Lock()
	closed := s.closed
	s.closed = true
	if s.flush != nil {
		s.flush.Stop()
		s.armed = false
	}
	// The flush timer may be committing: bbolt must not close under it.
	for s.leading {
		s.cond().Wait()
	}
	batch := s.queue
	s.queue = nil
	s.wmu.Unlock()
	if closed || s.db == nil {
		return nil
	}
	var err error
	if !s.readOnly && (len(batch) > 0 || s.pendingHashes() > 0) {
		last := &writeReq{op: func(*bolt.Tx) error { return nil }, wake: make(chan struct{}, 1)}
		s.commit(append(batch, last))
		if err = s.Sync(); err == nil {
			err = last.err // the hashes' commit
		}
	}
	s.smu.Lock()
	s.endSnapshot()
	s.smu.Unlock()
	if cerr := s.db.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close metadata store %s: %w", s.path, cerr)
	}
	return err
}

// guard turns a panic of bbolt on a damaged page into a *CorruptError of
// the whole file (dropping one record would not help: the tree is
// damaged). It must be deferred directly.
func (s *Store) guard(err *error) {
	if p := recover(); p != nil {
		*err = &CorruptError{Path: s.path, Err: fmt.Errorf("%v", p)}
	}
}

func (s *Store) wrap(verb string, err error) error {
	var ce *CorruptError
	var ve *VersionError
	if err == nil || errors.As(err, &ce) || errors.As(err, &ve) {
		return err
	}
	return fmt.Errorf("%s metadata store %s: %w", verb, s.path, err)
}

// view runs fn in a read transaction, with page faults and bbolt panics
// turned into a *CorruptError. Only for the package's own fn.
func (s *Store) view(fn func(tx *bolt.Tx) error) (err error) {
	defer s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.wrap("read", s.db.View(fn))
}

// update is view's writing twin: one transaction, committed (and fsync'd)
// before it returns.
func (s *Store) update(fn func(tx *bolt.Tx) error) (err error) {
	defer s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.wrap("write", s.db.Update(fn))
}

// Reader reads the store inside one read transaction (see View). It is
// valid only until the function given to View returns and, like the bbolt
// transaction under it, not safe for concurrent use.
type Reader struct {
	s          *Store
	records    *bolt.Bucket
	incomplete *bolt.Bucket
	hashes     *bolt.Bucket

	// Record and mark lookups reuse a cursor per bucket and one key
	// buffer: a fresh cursor (bbolt's Bucket.Get) and key cost three
	// allocations a lookup.
	recCur, incCur *bolt.Cursor
	keyBuf         []byte
}

// View calls fn with a Reader for one consistent snapshot of the store: the
// way to look up many outputs at once (one transaction instead of one per
// lookup). fn must not call the Store's write methods: a bbolt write may
// need to remap the file, which waits for open reads.
func (s *Store) View(fn func(r *Reader) error) error {
	if s.db == nil {
		return fn(&Reader{s: s})
	}
	s.settle()
	return s.wrap("read", s.db.View(func(tx *bolt.Tx) error {
		r, err := s.newReader(tx)
		if err != nil {
			return err
		}
		return fn(r)
	}))
}

func (s *Store) newReader(tx *bolt.Tx) (r *Reader, err error) {
	defer s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	r = &Reader{
		s:          s,
		records:    tx.Bucket(bucketRecords),
		incomplete: tx.Bucket(bucketIncomplete),
		hashes:     tx.Bucket(bucketHashes),
	}
	// Marks are rare (only an interrupted run leaves any): skip their
	// lookups altogether when there are none.
	if r.incomplete != nil {
		if k, _ := r.incomplete.Cursor().First(); k == nil {
			r.incomplete = nil
		}
	}
	return r, nil
}

// key is the form paths are stored in: cleaned.
func key(p string) string { return filepath.Clean(p) }

// Get returns the record of output.
func (r *Reader) Get(output string) (rec Record, ok bool, err error) {
	if r.records == nil {
		return Record{}, false, nil
	}
	k := key(output)
	defer r.s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := r.record(k)
	if v == nil {
		return Record{}, false, nil
	}
	rec, err = decodeRecord(v)
	if err != nil {
		return Record{}, false, &CorruptError{Path: r.s.path, Output: k, Err: err}
	}
	return rec, true, nil
}

// view is Get for the checker: it calls fn with a view of output's record
// (see viewRecord), under the guard, and reports whether there was one.
// fn must not keep the view's slices.
func (r *Reader) view(output string, fn func(v recordView)) (ok bool, err error) {
	if r.records == nil {
		return false, nil
	}
	k := key(output)
	defer r.s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	b := r.record(k)
	if b == nil {
		return false, nil
	}
	v, err := viewRecord(b)
	if err != nil {
		return false, &CorruptError{Path: r.s.path, Output: k, Err: err}
	}
	fn(v)
	return true, nil
}

// record returns the stored value of k in the records bucket, nil if
// there is none. The caller guards.
func (r *Reader) record(k string) []byte { return r.lookup(&r.recCur, r.records, k) }

// lookup is b.Get(k) through the cursor *cur (made on first use).
func (r *Reader) lookup(cur **bolt.Cursor, b *bolt.Bucket, k string) []byte {
	if *cur == nil {
		*cur = b.Cursor()
	}
	r.keyBuf = append(r.keyBuf[:0], k...)
	fk, v := (*cur).Seek(r.keyBuf)
	if v == nil || string(fk) != k {
		return nil // none, or a nested bucket (Seek gives it a nil value)
	}
	return v
}

// Incomplete reports whether output carries an incomplete mark.
func (r *Reader) Incomplete(output string) (inc bool, err error) {
	if r.incomplete == nil {
		return false, nil
	}
	k := key(output)
	defer r.s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return r.lookup(&r.incCur, r.incomplete, k) != nil, nil
}

// Mark returns the incomplete mark of output.
func (r *Reader) Mark(output string) (m Mark, ok bool, err error) {
	if r.incomplete == nil {
		return Mark{}, false, nil
	}
	k := key(output)
	defer r.s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	v := r.incomplete.Get([]byte(k))
	if v == nil {
		return Mark{}, false, nil
	}
	m, err = decodeMark(k, v)
	if err != nil {
		return Mark{}, false, &CorruptError{Path: r.s.path, Output: k, Err: err}
	}
	return m, true, nil
}

// step moves a cursor with bbolt panics turned into errors.
func (r *Reader) step(move func() ([]byte, []byte)) (k, v []byte, err error) {
	defer r.s.guard(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	k, v = move()
	// Copy: k and v point into the map, which must not be read after a
	// fault was turned into an error.
	return append([]byte(nil), k...), append([]byte(nil), v...), nil
}

func (r *Reader) each(b *bolt.Bucket, fn func(k, v []byte) error) error {
	if b == nil {
		return nil
	}
	c := b.Cursor()
	k, v, err := r.step(c.First)
	for ; err == nil && len(k) > 0; k, v, err = r.step(c.Next) {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return err
}

// ForEach calls fn for every output with a record, in byte order of the
// paths.
func (r *Reader) ForEach(fn func(output string, rec Record) error) error {
	return r.each(r.records, func(k, v []byte) error {
		rec, err := decodeRecord(v)
		if err != nil {
			return &CorruptError{Path: r.s.path, Output: string(k), Err: err}
		}
		return fn(string(k), rec)
	})
}

// ForEachMark calls fn for every incomplete mark.
func (r *Reader) ForEachMark(fn func(m Mark) error) error {
	return r.each(r.incomplete, func(k, v []byte) error {
		m, err := decodeMark(string(k), v)
		if err != nil {
			return &CorruptError{Path: r.s.path, Output: string(k), Err: err}
		}
		return fn(m)
	})
}

// hash returns the cached content hash of path, if any.
func (r *Reader) hash(path string) (h FileHash, ok bool) {
	if r.hashes == nil {
		return FileHash{}, false
	}
	var err error
	func() {
		defer r.s.guard(&err)
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		if v := r.hashes.Get([]byte(path)); v != nil {
			h, err = decodeHash(v)
			ok = err == nil
		}
	}()
	return h, ok && err == nil
}

// shared runs fn on the shared read transaction (see Store.snap). fn
// must not write nor call shared again.
func (s *Store) shared(fn func(r *Reader) error) error {
	if s.db == nil {
		return fn(&Reader{s: s})
	}
	s.settle()
	s.smu.Lock()
	defer s.smu.Unlock()
	if s.snap == nil {
		s.wmu.Lock()
		closed := s.closed
		s.wmu.Unlock()
		if closed {
			return fmt.Errorf("read metadata store %s: %w", s.path, berrors.ErrDatabaseNotOpen)
		}
		tx, err := s.db.Begin(false)
		if err != nil {
			return s.wrap("read", err)
		}
		r, err := s.newReader(tx)
		if err != nil {
			tx.Rollback()
			return err
		}
		s.snap, s.snapR = tx, r
	}
	return fn(s.snapR)
}

// endSnapshot ends the shared read transaction; smu must be held.
func (s *Store) endSnapshot() {
	if s.snap != nil {
		s.snap.Rollback()
		s.snap, s.snapR = nil, nil
	}
}

// Get returns the record of output. Lookups share one read transaction
// until the next write, so calling Get for every output of a workflow
// costs no transaction per call.
func (s *Store) Get(output string) (rec Record, ok bool, err error) {
	err = s.shared(func(r *Reader) error {
		rec, ok, err = r.Get(output)
		return err
	})
	return rec, ok, err
}

// Incomplete reports whether output carries an incomplete mark.
func (s *Store) Incomplete(output string) (inc bool, err error) {
	err = s.shared(func(r *Reader) error {
		inc, err = r.Incomplete(output)
		return err
	})
	return inc, err
}

// All returns every output with a record, sorted by byte order.
func (s *Store) All() ([]string, error) {
	var out []string
	err := s.View(func(r *Reader) error {
		return r.each(r.records, func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}

// Marks returns every incomplete mark, sorted by output.
func (s *Store) Marks() ([]Mark, error) {
	var out []Mark
	err := s.View(func(r *Reader) error {
		return r.ForEachMark(func(m Mark) error {
			out = append(out, m)
			return nil
		})
	})
	return out, err
}

// MarkIncomplete marks outputs as being made by the job jobKey. It returns
// once the mark is on disk (the commit fsyncs), so call it before the job
// starts: if flowmake dies before Finish or Fail, the next run sees the
// outputs as incomplete whatever their timestamps say.
func (s *Store) MarkIncomplete(outputs []string, jobKey string) error {
	v := encodeMark(Mark{JobKey: jobKey, Since: time.Now()})
	return s.write(func(tx *bolt.Tx) error {
		b, err := bucket(s, tx, bucketIncomplete)
		if err != nil {
			return err
		}
		for _, o := range outputs {
			if err := b.Put([]byte(key(o)), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Marking is one job's outputs for MarkAll.
type Marking struct {
	Outputs []string
	JobKey  string
}

// MarkAll is MarkIncomplete for several jobs in one commit: the jobs about
// to start and those likeliest to start next, so that a run of short jobs
// pays one commit (two fdatasyncs) per batch of starts instead of one per
// job. A job marked ahead that then never starts (the run stopped first)
// gets its marks taken back with Unmark.
func (s *Store) MarkAll(jobs []Marking) error {
	now := time.Now()
	return s.write(func(tx *bolt.Tx) error {
		b, err := bucket(s, tx, bucketIncomplete)
		if err != nil {
			return err
		}
		var fresh []string
		for _, m := range jobs {
			v := encodeMark(Mark{JobKey: m.JobKey, Since: now})
			for _, o := range m.Outputs {
				k := []byte(key(o))
				if b.Get(k) == nil {
					fresh = append(fresh, string(k))
				}
				if err := b.Put(k, v); err != nil {
					return err
				}
			}
		}
		// A spoilt batch is retried op by op, noting them again (a set);
		// one noted by a commit that then failed has no mark to clear.
		s.noteFresh(fresh)
		return nil
	})
}

// noteFresh remembers outputs MarkAll marked that had no mark before:
// only those may Unmark clear. It runs inside the commit's transaction.
func (s *Store) noteFresh(keys []string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.fresh == nil {
		s.fresh = make(map[string]struct{}, len(keys))
	}
	for _, k := range keys {
		s.fresh[k] = struct{}{}
	}
}

// forgetFresh drops outputs from the fresh set: their job ended.
func (s *Store) forgetFresh(outputs []string) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if len(s.fresh) == 0 {
		return
	}
	for _, o := range outputs {
		delete(s.fresh, key(o))
	}
}

// Unmark takes back the marks MarkAll put on outputs whose job never
// started, leaving each output as the run found it: a mark an earlier,
// interrupted run left stays, so that output is still redone.
func (s *Store) Unmark(outputs []string) error {
	s.fmu.Lock()
	var clear [][]byte
	for _, o := range outputs {
		k := key(o)
		if _, ok := s.fresh[k]; ok {
			delete(s.fresh, k)
			clear = append(clear, []byte(k))
		}
	}
	s.fmu.Unlock()
	if len(clear) == 0 {
		return nil
	}
	return s.write(func(tx *bolt.Tx) error {
		b, err := bucket(s, tx, bucketIncomplete)
		if err != nil {
			return err
		}
		for _, k := range clear {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Finish records rec for every output and clears their incomplete marks,
// in one transaction. Call it only after the outputs were verified.
//
// Finish does not wait for the commit: the write is deferred to the next
// commit (the next job's MarkIncomplete, any other write, Sync or Close),
// or to the flush timer, at most FlushDelay later. That is enough: until
// it is on disk the outputs keep their incomplete marks, so a run killed
// in between (SIGKILL, a crash) makes the next run redo those jobs, never
// trust their outputs; and a run that ends normally commits it in Close.
// The error is about the outputs given (a read-only or closed store); a
// failing commit is reported by Sync and Close.
func (s *Store) Finish(outputs []string, rec Record) error {
	v := encodeRecord(&rec)
	s.forgetFresh(outputs)
	return s.later(outputs, "record", func(tx *bolt.Tx) error {
		recs, err := bucket(s, tx, bucketRecords)
		if err != nil {
			return err
		}
		inc, err := bucket(s, tx, bucketIncomplete)
		if err != nil {
			return err
		}
		for _, o := range outputs {
			k := []byte(key(o))
			if err := recs.Put(k, v); err != nil {
				return err
			}
			if err := inc.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Fail clears the incomplete marks and records of outputs. Call it after
// the engine deleted a failed job's outputs; if they could not be deleted,
// do not call it, so that the next run still sees them as incomplete.
// Like Finish it is deferred: until it is committed the marks stay, which
// only makes the next run redo the job.
func (s *Store) Fail(outputs []string) error {
	s.forgetFresh(outputs)
	return s.later(outputs, "clear", func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketIncomplete} {
			b, err := bucket(s, tx, name)
			if err != nil {
				return err
			}
			for _, o := range outputs {
				if err := b.Delete([]byte(key(o))); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Forget removes everything the store knows about paths (record,
// incomplete mark, cached content hash), for --cleanup-metadata. It returns
// how many of the paths had something to remove.
func (s *Store) Forget(paths []string) (int, error) {
	n := 0
	s.hmu.Lock()
	for _, p := range paths {
		delete(s.pending, key(p))
	}
	s.hmu.Unlock()
	err := s.write(func(tx *bolt.Tx) error {
		n = 0 // the op may run twice when a group commit is retried
		for _, p := range paths {
			k := []byte(key(p))
			found := false
			for _, name := range [][]byte{bucketRecords, bucketIncomplete, bucketHashes} {
				b, err := bucket(s, tx, name)
				if err != nil {
					return err
				}
				if b.Get(k) != nil {
					found = true
					if err := b.Delete(k); err != nil {
						return err
					}
				}
			}
			if found {
				n++
			}
		}
		return nil
	})
	return n, err
}

func bucket(s *Store, tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	if b := tx.Bucket(name); b != nil {
		return b, nil
	}
	return nil, &CorruptError{Path: s.path, Err: fmt.Errorf("bucket %q is missing", name)}
}

type writeReq struct {
	op   func(tx *bolt.Tx) error
	err  error
	done bool
	wake chan struct{} // one signal: done, or lead (done still false); nil when deferred
	fail func(error)   // a deferred write's: called with its commit's error
}

// FlushDelay bounds how long a deferred write (Finish, Fail) waits for a
// commit to ride along with before the store commits it by itself. Jobs
// that start every few milliseconds commit them long before; the bound
// matters when nothing else is written for a while (a long job running),
// and it bounds what a killed run loses: the records of jobs that ended
// in the last FlushDelay, which the next run redoes.
const FlushDelay = 200 * time.Millisecond

func (s *Store) cond() *sync.Cond {
	if s.idle.L == nil {
		s.idle.L = &s.wmu // wmu is held: every use of idle is under it
	}
	return &s.idle
}

// write runs op in a write transaction and returns once it is committed.
// Writers that arrive while a commit is under way are committed together in
// the next transaction (group commit): unlike bbolt's Batch there is no
// delay for a lone writer, and concurrent writers share one fsync. The
// transaction also commits the deferred writes queued before it.
func (s *Store) write(op func(tx *bolt.Tx) error) error {
	if s.readOnly {
		return ErrReadOnly
	}
	req := &writeReq{op: op, wake: make(chan struct{}, 1)}
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return fmt.Errorf("write metadata store %s: %w", s.path, berrors.ErrDatabaseNotOpen)
	}
	s.queue = append(s.queue, req)
	if s.leading {
		s.wmu.Unlock()
		<-req.wake
		if req.done {
			return req.err
		}
		s.wmu.Lock() // promoted: lead the next commit
	}
	s.lead()
	return req.err
}

// lead commits the queue, and what queues meanwhile, until a waiting
// writer takes over or only deferred writes are left (they wait for the
// next writer or the timer). wmu is held on entry and released on return.
func (s *Store) lead() {
	s.leading = true
	batch := s.queue
	s.queue = nil
	s.wmu.Unlock()

	s.commit(batch)

	s.wmu.Lock()
	defer s.wmu.Unlock()
	for _, r := range s.queue {
		if r.wake != nil {
			// Hand the lead on; deferred writes queued ahead of this
			// writer go in its commit, in order (a batch is the queue).
			r.wake <- struct{}{}
			return
		}
	}
	s.leading = false
	s.cond().Broadcast()
	if len(s.queue) > 0 {
		s.arm()
	}
}

// later queues op as a deferred write of outputs (see Finish); what and
// outputs name it in Sync's error should its commit fail.
func (s *Store) later(outputs []string, what string, op func(tx *bolt.Tx) error) error {
	return s.deferWrite(op, func(err error) {
		name := "nothing"
		if len(outputs) > 0 {
			name = outputs[0]
			if len(outputs) > 1 {
				name += fmt.Sprintf(" and %d more", len(outputs)-1)
			}
		}
		s.wmu.Lock()
		if s.lateErr == nil {
			s.lateErr = fmt.Errorf("%s %s: %w", what, name, err)
		}
		s.wmu.Unlock()
	})
}

// deferWrite queues op as a deferred write; fail hears its error.
func (s *Store) deferWrite(op func(tx *bolt.Tx) error, fail func(error)) error {
	if s.readOnly {
		return ErrReadOnly
	}
	req := &writeReq{op: op, fail: fail}
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return fmt.Errorf("write metadata store %s: %w", s.path, berrors.ErrDatabaseNotOpen)
	}
	s.queue = append(s.queue, req)
	s.deferred.Add(1)
	if len(s.queue) >= maxDeferred {
		// Writes come faster than the timer commits them (--touch of a
		// million jobs): commit now, so the queue and its transaction
		// stay small. The writer waits for a commit under way first.
		for s.leading {
			s.cond().Wait()
		}
		if len(s.queue) > 0 {
			s.lead() // releases wmu
			return nil
		}
	} else if !s.leading {
		s.arm()
	}
	s.wmu.Unlock()
	return nil
}

// maxDeferred is how many deferred writes may wait for a commit before
// the writer commits them itself.
const maxDeferred = 4096

// arm sets the flush timer unless it is set; wmu is held.
func (s *Store) arm() {
	if s.armed {
		return
	}
	s.armed = true
	if s.flush == nil {
		s.flush = time.AfterFunc(FlushDelay, s.flushDeferred)
	} else {
		s.flush.Reset(FlushDelay)
	}
}

// flushDeferred is the timer's: it commits what is queued, if nobody is
// committing already (the leader hands the timer on when it leaves only
// deferred writes behind).
func (s *Store) flushDeferred() {
	s.wmu.Lock()
	s.armed = false
	if s.closed || s.leading || len(s.queue) == 0 {
		s.wmu.Unlock()
		return
	}
	s.lead()
}

// Sync commits the deferred writes and returns the error of the first
// deferred write whose commit failed in the life of the store, if any.
// The CLI calls it when the jobs are done, to report metadata that could
// not be written.
func (s *Store) Sync() error {
	if s.readOnly {
		return nil
	}
	var err error
	if s.deferred.Load() > 0 {
		err = s.write(func(*bolt.Tx) error { return nil })
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.lateErr != nil {
		return s.lateErr
	}
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return nil // closed: Close committed them
	}
	return err
}

// settle commits deferred writes before a read, so that the store reads
// what it was told (a record Finish gave, no mark it cleared). A lookup
// costs one atomic load when there are none.
func (s *Store) settle() {
	if s.deferred.Load() > 0 {
		_ = s.Sync()
	}
}

func (s *Store) commit(batch []*writeReq) {
	s.smu.Lock()
	defer s.smu.Unlock()
	s.endSnapshot()
	hashes := s.takePending()
	err := s.update(func(tx *bolt.Tx) error {
		for _, r := range batch {
			if err := r.op(tx); err != nil {
				return err
			}
		}
		return putHashes(s, tx, hashes)
	})
	if err != nil && len(batch) > 1 {
		// One op spoilt the batch: give each its own transaction and error.
		for _, r := range batch {
			r.err = s.update(r.op)
		}
	} else {
		for _, r := range batch {
			r.err = err
		}
	}
	n := int32(0)
	for _, r := range batch {
		r.done = true
		if r.wake != nil {
			r.wake <- struct{}{}
			continue
		}
		n++
		if r.err != nil {
			r.fail(r.err)
		}
	}
	s.deferred.Add(-n)
}

func putHashes(s *Store, tx *bolt.Tx, hashes map[string]FileHash) error {
	if len(hashes) == 0 {
		return nil
	}
	b, err := bucket(s, tx, bucketHashes)
	if err != nil {
		return err
	}
	for p, h := range hashes {
		if err := b.Put([]byte(p), encodeHash(h)); err != nil {
			return err
		}
	}
	return nil
}
