
grads
XX"Selu
X
XdX"SeluGradient
XP"Softmax
P
dXdP"SoftmaxGradient
dPdQ"Copy