module shakedown/shim-go

go 1.19
