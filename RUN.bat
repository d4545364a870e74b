@echo off
rem NOCTURNE_OS: set up once (see setup_nocturne.py), then run the server in the system tray,
rem without a console window. Works from any folder and from paths with spaces.
setlocal
set "ROOT=%~dp0"
set "VENV_PY=%ROOT%.venv\Scripts\python.exe"
set "VENV_PYW=%ROOT%.venv\Scripts\pythonw.exe"

if exist "%VENV_PY%" goto :setup_with_venv
call :find_python
if errorlevel 1 goto :no_python
%PY% "%ROOT%setup_nocturne.py"
if errorlevel 1 goto :setup_failed
goto :start

:setup_with_venv
rem Quick when nothing changed; reinstalls after an update of the files.
"%VENV_PY%" "%ROOT%setup_nocturne.py"
if errorlevel 1 goto :setup_failed

:start
start "" "%VENV_PYW%" -m nocturne --config "%ROOT%config.json"
exit /b 0

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
echo then double-click RUN.bat again.
echo.
pause
exit /b 1

:setup_failed
echo.
echo Set-up failed: see the messages above.
pause
exit /b 1
