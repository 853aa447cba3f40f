
weighted
X
S
X
Sws"WeightedSum