@echo off
rem NOCTURNE_OS in a console window: every log line visible, and the window stays open when
rem the server stops, so an error can be read. Use it when the tray app does not start.
setlocal
set "ROOT=%~dp0"
set "VENV_PY=%ROOT%.venv\Scripts\python.exe"

if exist "%VENV_PY%" goto :setup_with_venv
call :find_python
if errorlevel 1 goto :no_python
%PY% "%ROOT%setup_nocturne.py"
if errorlevel 1 goto :stop
goto :start

:setup_with_venv
"%VENV_PY%" "%ROOT%setup_nocturne.py"
if errorlevel 1 goto :stop

:start
"%VENV_PY%" -m nocturne --console --config "%ROOT%config.json"
echo.
echo The server stopped (exit code %errorlevel%). The log is in "%ROOT%nocturne.log".
goto :stop

:find_python
set "PY="
where py >nul 2>nul
if errorlevel 1 goto :try_python
py -3 -c "import sys; sys.exit(sys.version_info < (3, 10))" >nul 2>nul
if errorlevel 1 goto :try_python
set "PY=py -3"
exit /b 0
:try_python
where python >nul 2>nul
if errorlevel 1 exit /b 1
python -c "import sys; sys.exit(sys.version_info < (3, 10))" >nul 2>nul
if errorlevel 1 exit /b 1
set "PY=python"
exit /b 0

:no_python
echo.
echo NOCTURNE_OS needs Python 3.10 or newer, and none was found.
echo Install it from https://www.python.org/downloads/ (tick "Add python.exe to PATH"),
echo then run EMERGENCY_START.bat again.

:stop
echo.
pause
