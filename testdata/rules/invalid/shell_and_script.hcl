rule "plot" {
  output = "plot.png"
  shell  = "plot > ${output}"
  script = "scripts/plot.py"   # want: Conflicting shell and script
}
