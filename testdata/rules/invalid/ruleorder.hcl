ruleorder = ["fast_align", "slow_algin"]   # want: Unknown rule in ruleorder

rule "fast_align" {
  output = "{s}.bam"
}

rule "slow_align" {
  output = "{s}.bam"
}
