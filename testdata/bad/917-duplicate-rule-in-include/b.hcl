rule "a" {   # want: Duplicate rule
  output = "y"
  shell  = "touch y"
}
