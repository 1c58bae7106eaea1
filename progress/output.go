package progress

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/rules"
)

// chunk is whole lines of one stream.
type chunk struct {
	s     stream
	lines []byte
}

// JobOutput is exec.Local's Output hook: the writers of one job's stdout
// and stderr, and done, which prints what is still held. In live mode
// both streams are one writer, so exec.Local keeps them in one pipe and
// their order is the job's own.
func (d *Display) JobOutput(spec exec.Spec) (stdout, stderr io.Writer, done func()) {
	o := &jobOutput{e: d.out, limit: d.opts.GroupLimit}
	if d.live != nil || d.opts.Cores != 1 {
		o.prefix = []byte(d.prefix(spec) + " | ")
		if d.opts.Color && d.live != nil {
			o.prefix = []byte(colorDim + string(o.prefix) + colorReset)
		}
	}
	if d.opts.Cores == 1 {
		o.streaming = true // one job at a time: nothing to interleave with
	} else {
		o.timer = time.AfterFunc(d.opts.StreamAfter, o.stream)
	}
	if d.live != nil {
		w := &streamWriter{o, stderrStream}
		return w, w, o.close
	}
	return &streamWriter{o, stdoutStream}, &streamWriter{o, stderrStream}, o.close
}

// prefix is the job's name in the progress form, "count sample=a".
// exec.Spec carries only the Plain name; the job itself came through
// Started before its executor ran, so its wildcards are known.
func (d *Display) prefix(spec exec.Spec) string {
	d.mu.Lock()
	j := d.jobs[spec.Name]
	d.mu.Unlock()
	if j == nil || j.Spec == nil || j.Spec.Rule == nil {
		return spec.Name
	}
	return rules.JobName(j.Spec.Rule.Name, j.Spec.Wildcards, rules.Compact)
}

// streamWriter is one stream of a job's output.
type streamWriter struct {
	o *jobOutput
	s stream
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.o.write(w.s, p)
	return len(p), nil
}

// jobOutput holds one job's output until it ends, or streams it: always
// as whole lines, each behind the prefix.
type jobOutput struct {
	e      emitter
	prefix []byte
	limit  int // held bytes, and the longest line, before streaming
	timer  *time.Timer

	mu        sync.Mutex
	partial   [2][]byte // a line not ended yet, per stream
	held      []chunk
	heldBytes int
	streaming bool
	closed    bool
}

func (o *jobOutput) write(s stream, p []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	buf := append(o.partial[s], p...)
	i := bytes.LastIndexByte(buf, '\n')
	if i < 0 && len(buf) < o.limit {
		o.partial[s] = buf
		return
	}
	var whole []byte
	if i < 0 {
		// A line longer than the limit is cut: memory stays bounded.
		whole, buf = append(buf, '\n'), nil
	} else {
		whole, buf = buf[:i+1], buf[i+1:]
	}
	o.partial[s] = append([]byte(nil), buf...)
	o.add(chunk{s, o.prefixed(whole)}, len(whole))
}

// add holds a chunk, or prints it when streaming; the held output goes
// out at once when it passes the limit.
func (o *jobOutput) add(c chunk, n int) {
	if o.streaming || o.closed {
		o.e.emit(c)
		return
	}
	if k := len(o.held); k > 0 && o.held[k-1].s == c.s {
		o.held[k-1].lines = append(o.held[k-1].lines, c.lines...)
	} else {
		o.held = append(o.held, c)
	}
	o.heldBytes += n
	if o.heldBytes > o.limit {
		o.flush()
		o.streaming = true
	}
}

// stream is the timer's: a job running long shows its output from now on.
func (o *jobOutput) stream() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.closed {
		o.flush()
		o.streaming = true
	}
}

func (o *jobOutput) flush() {
	if len(o.held) > 0 {
		o.e.emit(o.held...)
	}
	o.held, o.heldBytes = nil, 0
}

// close prints what is held and the unfinished last lines, ended.
func (o *jobOutput) close() {
	if o.timer != nil {
		o.timer.Stop()
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for s, p := range o.partial {
		if len(p) > 0 {
			o.add(chunk{stream(s), o.prefixed(append(p, '\n'))}, len(p)+1)
			o.partial[s] = nil
		}
	}
	o.flush()
	o.closed = true // a straggler's writes print at once
}

// prefixed returns a copy of whole lines, each behind the prefix.
func (o *jobOutput) prefixed(whole []byte) []byte {
	if len(o.prefix) == 0 {
		return append([]byte(nil), whole...)
	}
	out := make([]byte, 0, len(whole)+len(o.prefix)*(bytes.Count(whole, []byte{'\n'})))
	for len(whole) > 0 {
		i := bytes.IndexByte(whole, '\n')
		out = append(out, o.prefix...)
		out = append(out, whole[:i+1]...)
		whole = whole[i+1:]
	}
	return out
}
