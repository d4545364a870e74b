@echo off
rem Build dist\NocturneServer.exe (one file, no console, icon, version info) with the firmware
rem files beside it in dist\firmware. Cleans build\ and dist\ first.
setlocal
set "ROOT=%~dp0"
set "VENV_PY=%ROOT%.venv\Scripts\python.exe"

if exist "%VENV_PY%" goto :setup_with_venv
where py >nul 2>nul
if errorlevel 1 goto :no_python
py -3 "%ROOT%setup_nocturne.py" --extras build,device
if errorlevel 1 goto :stop
goto :build

:setup_with_venv
"%VENV_PY%" "%ROOT%setup_nocturne.py" --extras build,device
if errorlevel 1 goto :stop

:build
pushd "%ROOT%"
"%VENV_PY%" tools\build_exe.py
popd
goto :stop

:no_python
echo NOCTURNE_OS needs Python 3.10 or newer (the py launcher was not found).
echo Install it from https://www.python.org/downloads/ and run build.bat again.

:stop
echo.
pause
