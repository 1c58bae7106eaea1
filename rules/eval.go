package rules

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/flowmake/flowmake/wildcard"
)

// Eval evaluates the rule for one binding of its wildcards (those bound by
// matching an output pattern). Attributes are evaluated in the order
// output, input, log, benchmark, threads, resources, params, priority,
// retries, message, shell, script; each may refer to the ones before it.
//
// When an input calls checkpoint_output for a checkpoint job that is not
// done, the job comes back with Pending set, its outputs, the inputs known
// so far and Checkpoints; the later attributes are not evaluated (the job
// must be evaluated again once the checkpoint ran). On errors the job is
// nil and every diagnostic's detail names the job, e.g. "In rule count
// (sample=a)." Eval is safe for concurrent use.
func (r *Rule) Eval(wildcards map[string]string, env Env) (job *Job, diags hcl.Diagnostics) {
	var copied map[string]string
	if wildcards == nil {
		copied = map[string]string{}
	} else {
		copied = maps.Clone(wildcards)
	}
	job = &Job{Rule: r, Wildcards: copied}
	if diags = r.EvalInto(job, env); diags.HasErrors() {
		return nil, diags
	}
	return job, diags
}

// EvalInto is Eval filling job, whose Rule is r, in place, for its
// Wildcards, which it keeps rather than copies: the caller hands the map
// over and never writes it again. A large graph then makes one Job and
// one wildcard map per job instead of two of each. On errors job is
// left as it came, Rule and Wildcards only.
func (r *Rule) EvalInto(job *Job, env Env) (diags hcl.Diagnostics) {
	given := job.Wildcards
	wc := given
	if wc == nil {
		wc = map[string]string{}
	}
	var out *Job // nil on errors, as Eval's result (recoverEval sets it so)
	defer func() {
		if out == nil {
			*job = Job{Rule: r, Wildcards: given}
		}
	}()
	defer recoverEval(r, wc, &out, &diags)
	var e evaluator // on the stack: nothing keeps it
	*job = Job{Rule: r, Wildcards: wc}
	e.init(r, job, env)
	e.outputs()
	for _, attr := range r.steps {
		if e.diags.HasErrors() || e.pending {
			break
		}
		e.step(attr)
	}
	if e.diags.HasErrors() {
		return e.diags
	}
	if e.cp != nil {
		e.job.Checkpoints = e.cp.refs
	}
	e.job.Pending = e.pending
	out = e.job
	return e.diags
}

// Shape is how a named input, output or log was written: its names in
// declaration order, and those whose value was a single string rather
// than a list (so reads = ["a.fq"] stays a list of one).
type Shape struct {
	Names  []string
	Single map[string]bool
}

// shape is ps's Shape, nil when ps is not named. The slices are shared
// with the rule's precomputed sets, never written.
func (ps *pathSet) shape() *Shape {
	if !ps.named {
		return nil
	}
	return &Shape{Names: ps.order, Single: ps.scalar}
}

// evaluator holds the state of one Eval: the job filled in step by step and
// the variables the steps so far have defined.
//
// The cty variables and the EvalContext are made on first use (context),
// and a variable whose value is known in Go form (wildcards, output, input,
// log, benchmark) is turned into cty only then: a job whose input is
// precomputed (Rule.preIn) and whose shell inserts only bare ${input},
// ${output} and ${wildcards.NAME}, which render writes directly, never
// builds a cty value. That is most jobs of a large workflow.
//
// Eval keeps its evaluator on the stack, so nothing may keep a pointer to
// it: checkpoint_output records into a separate checkpoints value.
type evaluator struct {
	r     *Rule
	wc    map[string]string
	env   Env
	job   *Job
	vars  map[string]cty.Value // nil until context
	ctx   *hcl.EvalContext     // nil until context
	stale varSet               // variables whose cty value is behind the job
	diags hcl.Diagnostics
	// static is set for the load-time check of constant attributes: there
	// is no job, so {name} is not substituted.
	static  bool
	pending bool
	cp      *checkpoints // made with a context that has checkpoint_output
	// sets are output, input and log as declared (those in has), for
	// rendering a bare ${output} in declaration order even when named.
	sets [3]pathSet
	has  varSet
	// inBuf is room outputs made for the copy of a precomputed input.
	inBuf []Path
}

// varSet is a set of the variables an evaluator makes lazily.
type varSet uint8

const (
	varOutput varSet = 1 << iota // sets[0]
	varInput                     // sets[1]
	varLog                       // sets[2]
	varWildcards
	varBenchmark
)

// setIndex is the index in evaluator.sets of output, input or log.
func setIndex(name string) (int, varSet) {
	switch name {
	case "output":
		return 0, varOutput
	case "input":
		return 1, varInput
	case "log":
		return 2, varLog
	}
	return -1, 0
}

// Values every job starts from, shared: cty values are immutable.
var (
	oneVal         = cty.NumberIntVal(1)
	emptyStringVal = cty.StringVal("")
)

// init readies e for evaluating r into job, for job.Wildcards (never
// nil), which e reads but never writes.
func (e *evaluator) init(r *Rule, job *Job, env Env) {
	e.r, e.wc, e.env = r, job.Wildcards, env
	job.Params = cty.EmptyObjectVal
	job.Threads = 1
	e.job = job
	e.stale = varWildcards
}

// context returns the job's EvalContext, making it on first use, with
// every variable brought up to date with the job.
func (e *evaluator) context() *hcl.EvalContext {
	if e.ctx == nil {
		e.vars = map[string]cty.Value{
			"wildcards": cty.EmptyObjectVal,
			"config":    e.r.wf.Config,
			"rule":      e.r.nameVal,
			"input":     cty.EmptyTupleVal,
			"output":    cty.EmptyTupleVal,
			"log":       cty.EmptyTupleVal,
			"benchmark": emptyStringVal,
			"params":    cty.EmptyObjectVal,
			"threads":   oneVal,
			"resources": cty.EmptyObjectVal,
		}
		e.ctx = rootContext.NewChild()
		e.ctx.Variables = e.vars
		// The per-job functions only where the rule calls them: a call is
		// syntax, so a rule without one cannot reach them.
		if e.r.jobFuncs {
			e.cp = &checkpoints{r: e.r, env: e.env}
			e.ctx.Functions = map[string]function.Function{
				"glob_wildcards":    globWildcardsFunc(e.env.Dir),
				"checkpoint_output": e.cp.function(),
			}
		}
	}
	if e.stale != 0 {
		e.refresh()
	}
	return e.ctx
}

// at is the context to evaluate in: ctx, or the job's when ctx is nil.
func (e *evaluator) at(ctx *hcl.EvalContext) *hcl.EvalContext {
	if ctx == nil {
		return e.context()
	}
	return ctx
}

// refresh makes the cty values of the stale variables.
func (e *evaluator) refresh() {
	if e.stale&varWildcards != 0 {
		e.vars["wildcards"] = wildcardsValue(e.wc)
	}
	for i, name := range [...]string{"output", "input", "log"} {
		if bit := varSet(1) << i; e.stale&e.has&bit != 0 {
			e.vars[name] = e.sets[i].value()
		}
	}
	if e.stale&varBenchmark != 0 {
		e.vars["benchmark"] = cty.StringVal(e.job.Benchmark).Mark(markPath)
	}
	e.stale = 0
}

// setVar sets a variable that is made eagerly (threads, resources, params).
func (e *evaluator) setVar(name string, v cty.Value) {
	e.context()
	e.vars[name] = v
}

// set is the path set a bare ${name} renders, nil when not evaluated.
func (e *evaluator) set(name string) *pathSet {
	if i, bit := setIndex(name); e.has&bit != 0 {
		return &e.sets[i]
	}
	return nil
}

// where names the job for diagnostics.
func (e *evaluator) where() string {
	if e.static {
		return JobName(e.r.Name, nil, Ruled)
	}
	return JobName(e.r.Name, e.wc, Ruled)
}

// add appends diagnostics, telling in each detail which job it concerns.
func (e *evaluator) add(diags ...*hcl.Diagnostic) {
	for _, d := range diags {
		// At load time the snippet's header already names the rule.
		if d.Severity == hcl.DiagError && !e.static {
			d.Detail = strings.TrimSpace(d.Detail + "\n\nIn " + e.where() + ".")
		}
		e.diags = append(e.diags, d)
	}
}

func (e *evaluator) errorf(rng hcl.Range, summary, format string, args ...any) {
	e.add(&hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

// outputs substitutes the job's wildcards into the output patterns.
func (e *evaluator) outputs() {
	ps := &e.sets[0]
	*ps = pathSet{named: e.r.outNamed, order: e.r.outOrder, scalar: e.r.outScalar}
	nOut, nIn := len(e.r.Patterns), 0
	if e.r.preIn != nil && !e.static {
		nIn = len(e.r.preIn.paths)
	}
	if nOut+nIn > 0 {
		// One array for the outputs and a precomputed input's copy (paths),
		// each slice capped so that an append to one never reaches the other.
		buf := make([]Path, nOut+nIn)
		ps.paths = buf[:0:nOut]
		e.inBuf = buf[nOut:]
	}
	for i, pat := range e.r.Patterns {
		s, err := substitute(pat, e.wc)
		if err != nil {
			var me *wildcard.MissingError
			if errors.As(err, &me) {
				e.errorf(e.r.outRanges[i], "Missing wildcard value", "Output %q needs a value for {%s}, and the job has none.", pat.String(), me.Name)
			} else {
				e.errorf(e.r.outRanges[i], "Invalid output pattern", "%v.", err)
			}
			continue
		}
		p := e.r.Outputs[i]
		p.Path = path.Clean(s)
		ps.paths = append(ps.paths, p)
	}
	e.job.Outputs = ps.paths
	e.job.OutputShape = ps.shape()
	e.has |= varOutput
	e.stale |= varOutput
}

// substitute is pat.Substitute(wc), the result in one allocation.
func substitute(pat *wildcard.Pattern, wc map[string]string) (string, error) {
	if !pat.HasWildcards() {
		return pat.Substitute(wc)
	}
	var scratch [256]byte
	b, err := pat.AppendSubstitute(scratch[:0], wc)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// step evaluates one attribute of evalOrder (one of Rule.steps).
func (e *evaluator) step(attr *hcl.Attribute) {
	switch attr.Name {
	case "input", "log":
		e.paths(attr)
	case "benchmark":
		e.benchmark(attr)
	case "threads":
		e.threads(attr)
	case "resources":
		e.resources(attr)
	case "params":
		e.params(attr)
	case "priority":
		if n, ok := e.whole(attr, false); ok {
			e.job.Priority = n
		}
	case "retries":
		if n, ok := e.whole(attr, true); ok {
			e.job.Retries = n
		}
	case "message":
		if s, ok := e.render(attr.Expr, nil, false); ok {
			e.job.Message = s
		}
	case "shell":
		if s, ok := e.render(attr.Expr, nil, true); ok {
			e.job.Shell = s
		}
	case "script":
		e.script(attr)
	}
}

// value evaluates attr. A value that is not wholly known waits for a
// checkpoint: the job becomes pending and ok is false.
func (e *evaluator) value(attr *hcl.Attribute) (cty.Value, bool) {
	v, diags := attr.Expr.Value(e.context())
	e.add(diags...)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		e.pending = true
		return cty.NilVal, false
	}
	return v, true
}

// paths evaluates input or log, or copies the value precomputed at load
// time when the attribute is constant.
func (e *evaluator) paths(attr *hcl.Attribute) {
	pre := e.r.preIn
	if attr.Name == "log" {
		pre = e.r.preLog
	}
	i, bit := setIndex(attr.Name)
	ps := &e.sets[i]
	if pre != nil && !e.static {
		*ps = *pre
		if attr.Name == "input" && len(pre.paths) > 0 && len(e.inBuf) == len(pre.paths) {
			ps.paths = e.inBuf[:copy(e.inBuf, pre.paths):len(pre.paths)]
		} else {
			ps.paths = append([]Path(nil), pre.paths...)
		}
	} else if q, ok := e.quickExpand(attr.Expr); ok { // fastfor.go
		*ps = q
	} else {
		v, diags := attr.Expr.Value(e.context())
		e.add(diags...)
		if diags.HasErrors() {
			return
		}
		got, err := pathsOf(v, attr.Expr)
		if err != nil {
			e.add(typeDiag(attr, err))
			return
		}
		*ps = *got
	}
	if ps.unknown {
		e.pending = true
	}
	for i := range ps.paths {
		p := &ps.paths[i]
		var pat *wildcard.Pattern
		if ps.pats != nil {
			pat = ps.pats[i]
		}
		s, ok := e.concrete(attr, p.Path, pat)
		if !ok {
			return
		}
		p.Path = s
	}
	e.has |= bit
	e.stale |= bit
	if attr.Name == "input" {
		e.job.Inputs, e.job.InputShape = ps.paths, ps.shape()
	} else {
		e.job.Log, e.job.LogShape = ps.paths, ps.shape()
	}
}

// concrete substitutes the job's wildcards into an evaluated path, Snakemake
// style, and cleans it. In the load-time check only the syntax is checked.
// pat, when not nil, is p compiled.
func (e *evaluator) concrete(attr *hcl.Attribute, p string, pat *wildcard.Pattern) (string, bool) {
	if strings.ContainsAny(p, "{}") {
		if e.static {
			if _, err := wildcard.Parse(p, nil); err != nil {
				e.errorf(attr.Expr.Range(), "Invalid path pattern", "The %s %q is not a valid pattern: %v.", attr.Name, p, err)
				return "", false
			}
			return p, true
		}
		// Fill parses without compiling a regexp: this runs for every
		// path of every job. A precomputed path comes compiled.
		var s string
		var err error
		if pat != nil {
			s, err = substitute(pat, e.wc)
		} else {
			s, err = wildcard.Fill(p, e.wc)
		}
		var se *wildcard.SyntaxError
		if errors.As(err, &se) {
			e.errorf(attr.Expr.Range(), "Invalid path pattern", "The %s %q is not a valid pattern: %v.", attr.Name, p, err)
			return "", false
		}
		if err != nil {
			var me *wildcard.MissingError
			if errors.As(err, &me) {
				have := "the job has no wildcards"
				if len(e.wc) > 0 {
					have = "the job's wildcards are " + strings.Join(slices.Sorted(maps.Keys(e.wc)), ", ")
				}
				e.errorf(attr.Expr.Range(), "Unknown wildcard", "The %s %q uses {%s}, but %s.", attr.Name, p, me.Name, have)
			} else {
				e.errorf(attr.Expr.Range(), "Invalid path pattern", "%v.", err)
			}
			return "", false
		}
		p = s
	}
	if p == "" {
		e.errorf(attr.Expr.Range(), "Empty path", "The %s holds an empty path.", attr.Name)
		return "", false
	}
	return path.Clean(p), true
}

// benchmark evaluates benchmark, or takes the value precomputed at load
// time when it is constant.
func (e *evaluator) benchmark(attr *hcl.Attribute) {
	var p string
	if pre := e.r.preBench; pre != nil && !e.static {
		if *pre == "" {
			return // null
		}
		p = *pre
	} else {
		v, ok := e.value(attr)
		if !ok {
			return
		}
		v, _ = v.UnmarkDeep()
		if v.IsNull() {
			return
		}
		if v.Type() != cty.String {
			e.add(typeDiag(attr, errors.New("a path string is required")))
			return
		}
		p = v.AsString()
	}
	s, ok := e.concrete(attr, p, nil)
	if !ok {
		return
	}
	e.job.Benchmark = s
	e.stale |= varBenchmark
}

// number converts v to a whole number, reporting at rng.
func (e *evaluator) number(v cty.Value, rng hcl.Range, what string) (int64, bool) {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		e.errorf(rng, "Incorrect attribute value type", "Inappropriate value for %s: a number is required, not null.", what)
		return 0, false
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil {
		e.errorf(rng, "Incorrect attribute value type", "Inappropriate value for %s: a number is required, not %s.", what, v.Type().FriendlyName())
		return 0, false
	}
	bf := n.AsBigFloat()
	i, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 {
		e.errorf(rng, "Invalid number", "%s must be a whole number, not %s.", upperFirst(what), bf.Text('g', -1))
		return 0, false
	}
	return i, true
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (e *evaluator) whole(attr *hcl.Attribute, nonNegative bool) (int, bool) {
	v, ok := e.value(attr)
	if !ok {
		return 0, false
	}
	n, ok := e.number(v, attr.Expr.Range(), "attribute \""+attr.Name+"\"")
	if !ok {
		return 0, false
	}
	if nonNegative && n < 0 {
		e.errorf(attr.Expr.Range(), "Invalid "+attr.Name, "%s must not be negative, got %d.", attr.Name, n)
		return 0, false
	}
	return int(n), true
}

func (e *evaluator) threads(attr *hcl.Attribute) {
	v, ok := e.value(attr)
	if !ok {
		return
	}
	n, ok := e.number(v, attr.Expr.Range(), `attribute "threads"`)
	if !ok {
		return
	}
	if n < 1 {
		e.errorf(attr.Expr.Range(), "Invalid threads", "A job needs at least 1 thread, got %d.", n)
		return
	}
	// A job never gets more threads than the run has cores, as in Snakemake.
	if e.env.Cores > 0 && n > int64(e.env.Cores) {
		n = int64(e.env.Cores)
	}
	e.job.Threads = int(n)
	e.setVar("threads", cty.NumberIntVal(n))
}

func (e *evaluator) resources(attr *hcl.Attribute) {
	v, ok := e.value(attr)
	if !ok {
		return
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return
	}
	if !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		e.add(typeDiag(attr, fmt.Errorf("an object is required, e.g. { mem_mb = 100 }, not %s", v.Type().FriendlyName())))
		return
	}
	vals := map[string]cty.Value{}
	for it := v.ElementIterator(); it.Next(); {
		k, ev := it.Element()
		name := k.AsString()
		rng := itemRange(attr.Expr, name)
		switch {
		case ev.IsNull():
			continue
		case ev.Type() == cty.Number:
			n, ok := e.number(ev, rng, "resource "+name)
			if !ok {
				return
			}
			if limit, ok := e.env.ResourceCaps[name]; ok && n > limit {
				// As threads are clamped to the cores: the job runs with
				// what the run has, and ${resources.x} shows that.
				e.add(&hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Resource capped",
					Detail:   fmt.Sprintf("Rule %s asks for %s=%d; --resources caps %s at %d, so its jobs run with %d.", e.r.Name, name, n, name, limit, limit),
					Subject:  rng.Ptr(),
				})
				n = limit
				ev = cty.NumberIntVal(n)
			}
			if e.job.Resources == nil {
				e.job.Resources = map[string]int64{}
			}
			e.job.Resources[name] = n
		case ev.Type() == cty.String:
			if e.job.ResourceText == nil {
				e.job.ResourceText = map[string]string{}
			}
			e.job.ResourceText[name] = ev.AsString()
		default:
			e.errorf(rng, "Incorrect attribute value type", "Resource %s must be a number or a string, not %s.", name, ev.Type().FriendlyName())
			return
		}
		vals[name] = ev
	}
	e.setVar("resources", cty.ObjectVal(vals))
}

func (e *evaluator) params(attr *hcl.Attribute) {
	v, ok := e.value(attr)
	if !ok {
		return
	}
	// Params are the author's values: never quoted, so no path marks.
	v, _ = v.UnmarkDeep()
	switch {
	case v.IsNull():
		v = cty.EmptyObjectVal
	case v.Type().IsObjectType():
	case v.Type().IsMapType():
		v = cty.ObjectVal(v.AsValueMap())
	default:
		e.add(typeDiag(attr, fmt.Errorf("an object is required, e.g. { min = 3 }, not %s", v.Type().FriendlyName())))
		return
	}
	e.job.Params = v
	e.setVar("params", v)
}

// script is kept relative to the working directory (Env.Dir), like every
// other path of a job; Snakemake's relative-to-the-Snakefile rule would
// make script paths the only ones that move with -s.
func (e *evaluator) script(attr *hcl.Attribute) {
	v, ok := e.value(attr)
	if !ok {
		return
	}
	v, _ = v.UnmarkDeep()
	if v.IsNull() || v.Type() != cty.String || v.AsString() == "" {
		e.add(typeDiag(attr, errors.New("a script path is required")))
		return
	}
	e.job.Script = path.Clean(v.AsString())
}

// checkpoints records the checkpoint jobs one job's checkpoint_output
// calls named.
type checkpoints struct {
	r    *Rule
	env  Env
	refs []CheckpointRef
}

// function is checkpoint_output(name, wildcards) for this job: the
// outputs of that checkpoint job, or an unknown list while it is not done,
// which makes the job pending.
func (c *checkpoints) function() function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{
			{Name: "name", Type: cty.String},
			{Name: "wildcards", Type: cty.DynamicPseudoType},
		},
		Type: function.StaticReturnType(cty.List(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name := args[0].AsString()
			cp := c.r.wf.ByName[name]
			if cp == nil || !cp.Checkpoint {
				if cp != nil {
					return cty.NilVal, function.NewArgErrorf(0, "%s is a rule, not a checkpoint", name)
				}
				return cty.NilVal, function.NewArgErrorf(0, "there is no checkpoint named %q", name)
			}
			wv := args[1]
			if !wv.IsWhollyKnown() {
				return cty.UnknownVal(cty.List(cty.String)), nil
			}
			if wv.IsNull() || !(wv.Type().IsObjectType() || wv.Type().IsMapType()) {
				return cty.NilVal, function.NewArgErrorf(1, "an object of wildcard values is required, e.g. wildcards")
			}
			given := map[string]string{}
			for it := wv.ElementIterator(); it.Next(); {
				k, v := it.Element()
				s, err := convert.Convert(v, cty.String)
				if err != nil || s.IsNull() {
					return cty.NilVal, function.NewArgErrorf(1, "wildcard %s must be a string", k.AsString())
				}
				given[k.AsString()] = s.AsString()
			}
			// Like Snakemake's checkpoints.NAME.get(**wildcards): values the
			// checkpoint does not use are ignored, so the reference names
			// exactly its job.
			ref := CheckpointRef{Rule: name, Wildcards: map[string]string{}}
			for _, n := range cp.names {
				v, ok := given[n]
				if !ok {
					return cty.NilVal, function.NewArgErrorf(1, "checkpoint %s needs a value for wildcard %s", name, n)
				}
				ref.Wildcards[n] = v
			}
			c.addRef(ref)
			if c.env.CheckpointDone == nil || !c.env.CheckpointDone(ref) {
				return cty.UnknownVal(cty.List(cty.String)), nil
			}
			outs := make([]string, 0, len(cp.Patterns))
			for _, pat := range cp.Patterns {
				s, err := pat.Substitute(ref.Wildcards)
				if err != nil {
					return cty.NilVal, function.NewArgError(1, err)
				}
				outs = append(outs, path.Clean(s))
			}
			return stringList(outs, true), nil
		},
	})
}

func (c *checkpoints) addRef(ref CheckpointRef) {
	for _, r := range c.refs {
		if r.Rule == ref.Rule && sameMap(r.Wildcards, ref.Wildcards) {
			return
		}
	}
	c.refs = append(c.refs, ref)
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ParamOrder returns the names of params in the order they are written,
// when params is an object constructor ({ a = 1, b = 2 }); nil otherwise.
// Evaluated objects sort their names; a script that reads params by
// position (snakemake.params[0]) needs the author's order.
func (r *Rule) ParamOrder() []string {
	attr := r.attrs["params"]
	if attr == nil {
		return nil
	}
	return keyOrder(attr.Expr)
}
