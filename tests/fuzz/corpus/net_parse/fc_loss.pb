
fc_loss
X
W
bF"FC 
F
IPloss"SoftmaxWithLoss
P
Iacc"Accuracy