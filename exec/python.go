package exec

// pythonPrelude runs a Python script the way Snakemake's script directive
// does, so scripts written for Snakemake run unchanged: it builds the
// global snakemake object from the job at $FLOWMAKE_JOB (input, output,
// params, wildcards, threads, resources, log, config, rule, scriptdir and
// log_fmt_shell, lists with Snakemake's attribute and index access), then
// runs the script (argv[1]) as __main__, with __file__ the script's real
// path, sys.argv[0] the script and its directory first on sys.path, as
// python3 SCRIPT would. The script is compiled under its own name, and
// the prelude's frame is cut from tracebacks, so an error names the
// user's file and line and nothing of flowmake.
//
// It is run with python3 -c: nothing is written to disk, and the script
// runs from its own file, not a copy with a preamble (Snakemake's way,
// which shifts its line numbers and names a temporary file).
const pythonPrelude = `def _flowmake_main():
    import json, math, os, sys, tempfile

    class Namedlist(list):
        # Snakemake's snakemake.io.Namedlist, reduced to what scripts use:
        # a list whose named items are also attributes and string keys.
        def __init__(self, items=(), names=None):
            list.__init__(self, items)
            self._names = {}
            for name, value in (names or {}).items():
                self._names[name] = value
                setattr(self, name, value)

        def keys(self):
            return self._names.keys()

        def items(self):
            for name in self._names:
                yield name, getattr(self, name)

        def get(self, key, default_value=None):
            return self.__dict__.get(key, default_value)

        def __getitem__(self, key):
            if isinstance(key, str):
                return getattr(self, key)
            return list.__getitem__(self, key)

        def __hash__(self):
            return hash(tuple(self))

        def __str__(self):
            return " ".join(map(str, self))

    def files(paths, named):
        names = {}
        for name, value in (named or {}).items():
            names[name] = value if isinstance(value, str) else Namedlist(value)
        return Namedlist(paths or [], names)

    def fromdict(d):
        d = d or {}
        return Namedlist(list(d.values()), d)

    class Snakemake:
        def log_fmt_shell(self, stdout=True, stderr=True, append=False):
            if not self.log:
                return ""
            return {
                (True, True, True): " >> {0} 2>&1",
                (True, False, True): " >> {0}",
                (False, True, True): " 2>> {0}",
                (True, True, False): " > {0} 2>&1",
                (True, False, False): " > {0}",
                (False, True, False): " 2> {0}",
            }[(stdout, stderr, append)].format(str(self.log))

    with open(os.environ["FLOWMAKE_JOB"], encoding="utf-8") as f:
        job = json.load(f)
    script = sys.argv[1]
    path = os.path.realpath(script)
    threads = job.get("threads", 1)
    # As Snakemake: _cores, _nodes and tmpdir first, and mem_mib/disk_mib
    # beside whole mem_mb/disk_mb.
    res = {"_cores": threads, "_nodes": 1, "tmpdir": tempfile.gettempdir()}
    for k, v in (job.get("resources") or {}).items():
        res[k] = v
        for mb, mib in (("mem_mb", "mem_mib"), ("disk_mb", "disk_mib")):
            if k == mb and isinstance(v, int) and mib not in job["resources"]:
                res[mib] = int(math.ceil(v * 0.95367431640625))
    sm = Snakemake()
    sm.input = files(job.get("input"), job.get("named_input"))
    sm.output = files(job.get("output"), job.get("named_output"))
    sm.params = fromdict(job.get("params"))
    sm.wildcards = fromdict(job.get("wildcards"))
    sm.threads = threads
    sm.resources = fromdict(res)
    sm.log = files(job.get("log"), job.get("named_log"))
    sm.config = job.get("config") or {}
    sm.rule = job.get("rule", "")
    sm.bench_iteration = None
    sm.scriptdir = os.path.dirname(path)

    with open(script, "rb") as f:
        code = compile(f.read(), path, "exec")
    sys.argv = [script]
    sys.path[0] = os.path.dirname(path)
    g = sys.modules["__main__"].__dict__
    del g["_flowmake_main"]
    g["__file__"] = path
    g["snakemake"] = sm
    try:
        exec(code, g)
    except SystemExit:
        raise
    except BaseException as e:
        import traceback
        traceback.print_exception(type(e), e, e.__traceback__.tb_next)
        sys.exit(130 if isinstance(e, KeyboardInterrupt) else 1)

_flowmake_main()
`
