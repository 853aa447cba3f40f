
fcOloss
aW2
bF"FC 
F
IPloss"SoftmaxWithLoss
P
Iacc"Accuracy